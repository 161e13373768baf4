import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/core/errors.js';
import { openDatabase, type SchemaSpec } from '../../src/node/sqlite.js';
import { stateDirectory } from '../../src/node/state-dir.js';

const schema: SchemaSpec = {
  name: 'test store',
  applicationId: 0x4c4c5454,
  migrations: [
    'CREATE TABLE items (id INTEGER PRIMARY KEY, value TEXT)',
    'ALTER TABLE items ADD COLUMN extra TEXT',
  ],
};

const tempDir = () => mkdtempSync(join(tmpdir(), 'lifeline-sqlite-'));

describe('openDatabase', () => {
  it('creates a private directory and file, in WAL mode, synchronous FULL, migrated to the latest schema', () => {
    const dir = join(tempDir(), 'state');
    const path = join(dir, 'store.db');
    const db = openDatabase(path, schema);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    db.prepare('INSERT INTO items (value, extra) VALUES (?, ?)').run('a', 'b');
    db.close();
    const normal = openDatabase(path, schema, { synchronous: 'normal' });
    expect(normal.pragma('synchronous', { simple: true })).toBe(1);
    expect(normal.prepare('SELECT value, extra FROM items').get()).toEqual({ value: 'a', extra: 'b' });
    normal.close();
  });

  it('migrates an older file forward, keeping its rows', () => {
    const path = join(tempDir(), 'old.db');
    openDatabase(path, { ...schema, migrations: schema.migrations.slice(0, 1) }).close();
    const raw = new Database(path);
    raw.prepare("INSERT INTO items (value) VALUES ('kept')").run();
    raw.close();
    const db = openDatabase(path, schema);
    expect(db.prepare('SELECT value FROM items').all()).toEqual([{ value: 'kept' }]);
    db.close();
  });

  it('refuses a file that is not SQLite, and leaves it untouched', () => {
    const path = join(tempDir(), 'notes.db');
    writeFileSync(path, 'my shopping list: eggs, milk, and a lot more text than a header');
    const before = readFileSync(path);
    const error = (() => {
      try {
        openDatabase(path, schema);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: 'STORE_FOREIGN', path });
    expect((error as Error).message).toContain('is not a SQLite database');
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it("refuses another application's SQLite file, and leaves it untouched", () => {
    const path = join(tempDir(), 'other.db');
    const other = new Database(path);
    other.exec('CREATE TABLE invoices (id INTEGER)');
    other.close();
    const before = readFileSync(path);
    expect(() => openDatabase(path, schema)).toThrow(
      /SQLite database of something else \(tables: invoices\)/,
    );
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('refuses a file from a newer lifeline', () => {
    const path = join(tempDir(), 'newer.db');
    openDatabase(path, schema).close();
    const raw = new Database(path);
    raw.pragma('user_version = 9');
    raw.close();
    expect(() => openDatabase(path, schema)).toThrow(
      /written by a newer lifeline \(test store schema v9; this one knows up to v2\)/,
    );
  });

  it('reports a corrupt file clearly and leaves it untouched', () => {
    const path = join(tempDir(), 'corrupt.db');
    const db = openDatabase(path, schema);
    const insert = db.prepare('INSERT INTO items (value) VALUES (?)');
    for (let i = 0; i < 500; i++) insert.run('x'.repeat(200));
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const bytes = readFileSync(path);
    bytes.fill(0xa5, 4096 * 2, 4096 * 6); // scribble over some pages, keep the header
    writeFileSync(path, bytes);
    expect(() => openDatabase(path, schema)).toThrow(StoreError);
    expect(() => openDatabase(path, schema)).toThrow(/cannot be read as lifeline's test store/);
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it('finds the state directory in LIFELINE_HOME, else ~/.lifeline', () => {
    expect(stateDirectory({ LIFELINE_HOME: '/data/ll' })).toBe('/data/ll');
    expect(stateDirectory({ HOME: '/home/x' })).toMatch(/\.lifeline$/);
  });
});
