/**
 * The raw better-sqlite3 peers of bench/queue, both with WAL, the queue's `synchronous`, its INSERT and
 * the same values (kind, the payload as JSON, priority, a fresh UUID key, timestamps):
 *
 *  - `columns`: the row the issue describes — the items table's columns, an integer primary key, no other
 *    index. The reference figures on this machine fit this peer, and the bars are judged against it.
 *  - `schema`: the queue's own items table, built by the queue's own migrations (AUTOINCREMENT, the UNIQUE
 *    key, its partial indexes): what an enqueue with the caller's own key writes, and what every enqueue
 *    wrote before the inbox (src/node/queue-inbox.ts). `schema` against `columns` is what the indexes cost;
 *    the queue against `schema` is what the inbox saves, less lifeline's own code.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { QUEUE_SCHEMA } from '../src/node/sqlite-queue-store.js';

/** The queue's own migrations, applied in order: exactly the schema the queue writes to. */
const QUEUE_DDL = QUEUE_SCHEMA.migrations.join(';\n');
/** The same items table with the plain rowid key and no index at all (not even the key's UNIQUE). */
const COLUMNS_DDL = (QUEUE_SCHEMA.migrations[0] ?? '')
  .slice(0, (QUEUE_SCHEMA.migrations[0] ?? '').indexOf(');') + 2)
  .replace(' AUTOINCREMENT', '')
  .replace(' UNIQUE', '');

const DDL = { columns: COLUMNS_DDL, schema: QUEUE_DDL };

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
