import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { WriteBatcher } from '../../src/node/write-batcher.js';
import { tempDir } from './support/queue-fixtures.js';

function table() {
  const db = new Database(join(tempDir('lifeline-batch-'), 'batch.db'));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)');
  return db;
}

describe('WriteBatcher', () => {
  it('commits writes of the same turn together, rolling back only the one that fails', async () => {
    const db = table();
    const batcher = new WriteBatcher(db);
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    let commits = 0;
    const outcomes = await Promise.allSettled([
      batcher.run(() => insert.run('a').changes),
      batcher.run(() => {
        insert.run('b');
        insert.run('a'); // violates UNIQUE: this write, and its 'b', must go
      }),
      batcher.run(() => insert.run('c').changes),
    ]);
    commits = (db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n;
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(db.prepare('SELECT v FROM t ORDER BY id').all()).toEqual([{ v: 'a' }, { v: 'c' }]);
    expect(commits).toBe(2);
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
