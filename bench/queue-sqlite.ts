/**
 * The raw better-sqlite3 peers of bench/queue, both with WAL, the queue's `synchronous`, its INSERT and
 * the same values (kind, the payload as JSON, priority, a fresh UUID key, timestamps):
 *
 *  - `columns`: the row the issue describes — the items table's columns, an integer primary key, no other
 *    index. The reference figures on this machine fit this peer, and the bars are judged against it.
 *  - `schema`: the queue's own table, a copy of the schema in src/node/sqlite-queue-store.ts (AUTOINCREMENT,
 *    the UNIQUE key, the two partial/status indexes): everything the queue does on disk, nothing around it.
 *    The queue against it is lifeline's own cost; `schema` against `columns` is what the indexes cost.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** The columns of the queue's items table, the key without its UNIQUE (the `schema` table adds it). */
const COLUMNS = `
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  priority INTEGER NOT NULL,
  idempotency_key TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  completed_at INTEGER,
  last_error TEXT,
  dead_reason TEXT,
  result TEXT,
  owner TEXT,
  lease_until INTEGER`;

const DDL = {
  columns: `CREATE TABLE items (id INTEGER PRIMARY KEY, ${COLUMNS})`,
  schema: `CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, ${COLUMNS}, UNIQUE (idempotency_key));
    CREATE INDEX items_pending ON items (priority DESC, id) WHERE status = 'pending';
    CREATE INDEX items_by_status ON items (status, completed_at);`,
};

const INSERT = `INSERT INTO items (kind, payload, priority, idempotency_key, status, max_attempts, next_attempt_at, created_at, updated_at)
  VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?)`;
/** The queue's upsert needs the UNIQUE key, which only the `schema` table has. */
const UPSERT = `${INSERT} ON CONFLICT (idempotency_key) DO NOTHING`;

export type Synchronous = 'full' | 'normal';
export type RawShape = 'columns' | 'schema';

/** A fresh directory under os.tmpdir(); `remove()` it when done. */
export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface RawStore {
  /** One row in its own transaction (BEGIN, INSERT, COMMIT), as `enqueue` writes it. */
  insertOne(kind: string, payload: unknown): void;
  /** Every row in one transaction. */
  insertMany(rows: ReadonlyArray<{ kind: string; payload: unknown }>): void;
  close(): void;
}

/** Each row: the payload as JSON, priority 0, a fresh UUID key, max attempts 10, timestamps now. */
export function openRawStore(path: string, synchronous: Synchronous, shape: RawShape): RawStore {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.exec(DDL[shape]);
  const insert = db.prepare(shape === 'schema' ? UPSERT : INSERT);
  const row = (kind: string, payload: unknown, now: number) =>
    insert.run(kind, JSON.stringify(payload), 0, randomUUID(), 10, now, now, now);
  const one = db.transaction((kind: string, payload: unknown) => row(kind, payload, Date.now()));
  const many = db.transaction((rows: ReadonlyArray<{ kind: string; payload: unknown }>) => {
    const now = Date.now();
    for (const { kind, payload } of rows) row(kind, payload, now);
  });
  return {
    insertOne: (kind, payload) => void one(kind, payload),
    insertMany: (rows) => many(rows),
    close: () => db.close(),
  };
}
