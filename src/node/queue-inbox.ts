import type { Statement, Transaction } from 'better-sqlite3';
import type { NewItem } from '../queue/types.js';
import { newItemParams } from './queue-rows.js';
import type { SqliteDatabase } from './sqlite.js';

/** The inbox table (migration 4 of the queue's schema): a new item's columns, the rowid, no index. */
export const INBOX_TABLE = `CREATE TABLE inbox (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  priority INTEGER NOT NULL,
  idempotency_key TEXT NOT NULL,
  max_attempts INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL
)`;

/** Folded by the enqueue that brings it to this many items, so no later read waits on a large fold. */
export const INBOX_FOLD_AT = 4096;
/** A connection measures the inbox once per this many single appends (a divisor of INBOX_FOLD_AT). */
const MEASURE_EVERY = 64;

/**
 * Where enqueued items with generated keys land: an append to a table with no index, so its commit
 * writes one B-tree page instead of four (the items table, its claim index, its unique key index, the
 * AUTOINCREMENT sequence). Everything else reads the items table, so every other operation of the store
 * first folds the inbox into it — one INSERT … SELECT, in id order, in one transaction — and the inbox
 * folds itself when it reaches INBOX_FOLD_AT items. A generated key (UUIDv7, see core/uuid-v7.ts) cannot
 * be stored already, so the append needs no duplicate check; an item with a caller's key goes to the items
 * table, through its unique index, after a fold.
 *
 * Ids: an inbox item takes the next id after both the inbox's largest and the items table's AUTOINCREMENT
 * sequence, inside the inserting statement's write lock, and keeps it when folded. So ids stay unique,
 * ascending in enqueue order across both tables and across processes, and are never reused.
 */
export class QueueInbox {
  private readonly append: Statement;
  private readonly span: Statement;
  private readonly hasItems: Statement;
  private readonly foldInsert: Statement;
  private readonly foldDelete: Statement;
  private readonly appendTransaction: Transaction<(items: readonly NewItem[]) => number[]>;
  private readonly foldTransaction: Transaction<() => void>;
  private appendsSinceMeasured = 0;

  constructor(db: SqliteDatabase) {
    this.append = db.prepare(
      `INSERT INTO inbox (id, kind, payload, priority, idempotency_key, max_attempts, next_attempt_at, created_at)
       VALUES (MAX(COALESCE((SELECT MAX(id) FROM inbox), 0),
                   COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'items'), 0)) + 1,
               ?, ?, ?, ?, ?, ?, ?)`,
    );
    // Two single-aggregate subqueries: SQLite answers each from the rowid B-tree's edge; MAX(id) - MIN(id)
    // in one SELECT would scan the table.
    this.span = db.prepare('SELECT (SELECT MAX(id) FROM inbox) - (SELECT MIN(id) FROM inbox)').pluck();
    this.hasItems = db.prepare('SELECT EXISTS (SELECT 1 FROM inbox)').pluck();
    // DO NOTHING on a key already stored is the idempotency rule itself; with generated keys it cannot happen.
    this.foldInsert = db.prepare(
      `INSERT INTO items (id, kind, payload, priority, idempotency_key, status, max_attempts, next_attempt_at, created_at, updated_at)
       SELECT id, kind, payload, priority, idempotency_key, 'pending', max_attempts, next_attempt_at, created_at, created_at
       FROM inbox ORDER BY id
       ON CONFLICT (idempotency_key) DO NOTHING`,
    );
    this.foldDelete = db.prepare('DELETE FROM inbox');
    this.appendTransaction = db.transaction((items: readonly NewItem[]) =>
      items.map((fresh) => this.appendOne(fresh)),
    );
    this.foldTransaction = db.transaction(() => this.foldAll());
  }

  /**
   * Appends items (each with a generated key) in one transaction; returns their ids. A single item is one
   * statement, its own (implicit) transaction: the id is taken inside it, and the BEGIN and COMMIT
   * statements around it would cost a tenth of the append.
   */
  add(items: readonly NewItem[]): number[] {
    const ids =
      items.length === 1 ? [this.appendOne(items[0] as NewItem)] : this.appendTransaction.immediate(items);
    this.appendsSinceMeasured += items.length;
    if (this.appendsSinceMeasured >= MEASURE_EVERY) {
      this.appendsSinceMeasured = 0;
      this.foldIfFull();
    }
    return ids;
  }

  /**
   * The self-fold is housekeeping after the items are committed: if it fails (another process holds the
   * write lock past the busy timeout, a full disk), the enqueue has still succeeded and must say so — a
   * caller told otherwise would enqueue again, twice. The inbox folds before the next read anyway.
   */
  private foldIfFull(): void {
    try {
      if (((this.span.get() as number | null) ?? 0) >= INBOX_FOLD_AT - 1) this.foldTransaction.immediate();
    } catch {
      // Left to the next read's fold, which reports its own failure.
    }
  }

  private appendOne(fresh: NewItem): number {
    return Number(this.append.run(newItemParams(fresh)).lastInsertRowid);
  }

  /** Moves every inbox item into the items table, if there are any (checking costs one page read). */
  fold(): void {
    if (this.hasItems.get() === 0) return;
    this.foldTransaction.immediate();
  }

  private foldAll(): void {
    this.foldInsert.run();
    this.foldDelete.run();
  }
}
