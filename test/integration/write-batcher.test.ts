import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { WriteBatcher } from '../../src/node/write-batcher.js';
import { tempDir } from './support/queue-fixtures.js';

function table() {
  const path = join(tempDir('lifeline-batch-'), 'batch.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)');
  return Object.assign(db, { path });
}

describe('WriteBatcher', () => {
  it('commits writes of the same turn together, rolling back only the one that fails', async () => {
    const db = table();
    const batcher = new WriteBatcher(db);
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    // Another connection sees only what is committed: inside the batch, nothing is yet.
    const reader = new Database(db.path, { readonly: true });
    const committedRows = () => (reader.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n;
    let committedDuringBatch = -1;
    const outcomes = await Promise.allSettled([
      batcher.run(() => insert.run('a').changes),
      batcher.run(() => {
        insert.run('b');
        insert.run('a'); // violates UNIQUE: this write, and its 'b', must go
      }),
      batcher.run(() => {
        committedDuringBatch = committedRows();
        return insert.run('c').changes;
      }),
    ]);
    const rows = (db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n;
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(db.prepare('SELECT v FROM t ORDER BY id').all()).toEqual([{ v: 'a' }, { v: 'c' }]);
    expect(rows).toBe(2);
    expect(committedDuringBatch).toBe(0); // 'a' is committed with 'c', in one transaction
    expect(committedRows()).toBe(2);
    reader.close();
  });

  it('a single-statement write fails alone without a savepoint; the rest of the batch commits', async () => {
    const db = table();
    const batcher = new WriteBatcher(db);
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const single = { singleStatement: true };
    const outcomes = await Promise.allSettled([
      batcher.run(() => insert.run('a').changes, single),
      batcher.run(() => insert.run('a').changes, single), // violates UNIQUE: only this one fails
      batcher.run(() => insert.run('b').changes, single),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(db.prepare('SELECT v FROM t ORDER BY id').all()).toEqual([{ v: 'a' }, { v: 'b' }]);
  });

  it('a write alone in its turn fails alone', async () => {
    const db = table();
    const batcher = new WriteBatcher(db);
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    await batcher.run(() => insert.run('x'));
    await expect(batcher.run(() => insert.run('x'))).rejects.toThrow(/UNIQUE/);
    expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 1 });
  });
});
