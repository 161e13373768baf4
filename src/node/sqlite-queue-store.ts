import { join } from 'node:path';
import type { Statement, Transaction } from 'better-sqlite3';
import { recoveredOutOfAttempts } from '../queue/outcome.js';
import type { AheadOutcome, ClaimRequest, QueueStore, Recovery } from '../queue/store.js';
import {
  type ItemError,
  type ItemStatus,
  type ListFilter,
  type NewItem,
  pendingItem,
  type QueueCounts,
  type QueueItem,
} from '../queue/types.js';
import { INBOX_TABLE, QueueInbox } from './queue-inbox.js';
import { CLAIM_COLUMNS, type ClaimRow, claimedItem, newItemParams, type Row, toItem } from './queue-rows.js';
import { prepareQueueStatements, type QueueStatements } from './queue-statements.js';
import { type OpenOptions, openDatabase, type SchemaSpec, type SqliteDatabase } from './sqlite.js';
import { stateDirectory } from './state-dir.js';
import { WriteBatcher, type WriteOptions } from './write-batcher.js';

/** Exported so the queue benchmark's raw peer builds exactly this table. */
export const QUEUE_SCHEMA: SchemaSpec = {
  name: 'queue',
  applicationId: 0x4c4c5131, // "LLQ1"
  migrations: [
    `CREATE TABLE items (
       id INTEGER PRIMARY KEY AUTOINCREMENT,
       kind TEXT NOT NULL,
       payload TEXT NOT NULL,
       priority INTEGER NOT NULL,
       idempotency_key TEXT NOT NULL UNIQUE,
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
       lease_until INTEGER
     );
     CREATE INDEX items_pending ON items (priority DESC, id) WHERE status = 'pending';
     CREATE INDEX items_by_status ON items (status, completed_at);`,
    'CREATE TABLE queue_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
    // Fewer index writes per enqueue: pending rows touch only the claim index; counting stays indexed.
    `DROP INDEX items_by_status;
     CREATE INDEX items_completed ON items (completed_at) WHERE status = 'completed';
     CREATE INDEX items_attention ON items (status) WHERE status IN ('running', 'dead');`,
    // One page per enqueue instead of four: see queue-inbox.ts.
    INBOX_TABLE,
  ],
};

/**
 * How long an attempt's outcome (completed, rescheduled, dead) may wait to share a later commit. Nothing
 * waits on it to make progress — the worker's slot is already free — and the outcome is reported only
 * once written; a crash in the meantime runs the item again under the same idempotency key. Claims never
 * wait: they end the wait for everything queued with them.
 */
const OUTCOME_WAIT_MS = 4;
/** Outcomes: one statement each, and they may wait for company. */
const OUTCOME: WriteOptions = { lazy: true, singleStatement: true };

export interface SqliteQueueStoreOptions extends OpenOptions {
  /** The database file. Default `queue.db` in the state directory (LIFELINE_HOME or ~/.lifeline). */
  path?: string;
}

/**
 * The queue on disk, in SQLite. Durability: with `synchronous: 'full'` (the default) an `insert` that has
 * returned is on disk and survives power loss; every state change is one transaction, so a crash at any
 * instant leaves each item pending, running (taken back by the next queue to start, or by a running
 * queue's next look), completed or dead — never lost, never half-written. Several processes (the agent
 * and the CLI) may use one file at once.
 */
export class SqliteQueueStore implements QueueStore {
  readonly path: string;
  private readonly db: SqliteDatabase;
  private readonly statements: QueueStatements;
  private readonly insertAll: Transaction<
    (items: readonly NewItem[]) => Array<{ item: QueueItem; inserted: boolean }>
  >;
  private readonly writes: WriteBatcher;
  private readonly inbox: QueueInbox;
  private readonly dueStatements = new Map<string, Statement>();

  constructor(options: SqliteQueueStoreOptions = {}) {
    this.path = options.path ?? join(stateDirectory(), 'queue.db');
    this.db = openDatabase(this.path, QUEUE_SCHEMA, options);
    const db = this.db;
    this.statements = prepareQueueStatements(db);
    this.writes = new WriteBatcher(db, { lazyMs: OUTCOME_WAIT_MS });
    this.inbox = new QueueInbox(db);
    this.insertAll = db.transaction((items: readonly NewItem[]) => {
      this.inbox.fold();
      return items.map((fresh) => this.insertOne(fresh));
    });
  }

  private insertOne(fresh: NewItem): { item: QueueItem; inserted: boolean } {
    // Looked up first (this runs in a write transaction): an INSERT that met the key would still use up an
    // AUTOINCREMENT id, and ids would skip. A generated key cannot be stored already.
    const stored = fresh.generatedKey ? undefined : (this.statements.byKey.get(fresh.idempotencyKey) as Row);
    if (stored) return { item: toItem(stored), inserted: false };
    const { lastInsertRowid } = this.statements.insert.run(...newItemParams(fresh), fresh.createdAtMs);
    return { item: pendingItem(Number(lastInsertRowid), fresh), inserted: true };
  }

  async insert(items: readonly NewItem[]) {
    if (items.length > 0 && items.every((fresh) => fresh.generatedKey)) {
      const ids = this.inbox.add(items);
      return items.map((fresh, index) => ({
        item: pendingItem(ids[index] as number, fresh),
        inserted: true,
      }));
    }
    return this.insertAll.immediate(items);
  }

  claim(request: ClaimRequest): Promise<QueueItem[]> {
    if (!(request.limit >= 1)) return Promise.resolve([]);
    return this.writes.run(() => {
      this.inbox.fold();
      const { nowMs, owner, leaseUntilMs } = request;
      const rows =
        request.id === undefined
          ? (this.dueStatement(request.kinds.length, request.limit).all(
              request.ignoreSchedule ? 1 : 0,
              nowMs,
              ...request.kinds,
            ) as ClaimRow[])
          : this.byIdOfKinds(request.id, request.kinds);
      const claimed: QueueItem[] = [];
      const startNow = request.startNow ?? rows.length;
      for (const [index, row] of rows.entries()) {
        const counted = index < startNow ? 1 : 0;
        const params = { owner, lease: leaseUntilMs, now: nowMs, id: row[0], counted };
        if (this.statements.claimOne.run(params).changes > 0) claimed.push(claimedItem(row, request));
      }
      return claimed;
    });
  }

  /**
   * Due pending items of the given kinds, walking the claim index in run order (the planner must not
   * prefer a full scan and a sort). One prepared statement per number of kinds and limit: the limit is
   * written into the SQL because SQLite re-prepares a statement whose LIMIT is a bound parameter every
   * time it is bound, which cost more than the rest of the claim.
   */
  private dueStatement(kindCount: number, limit: number): Statement {
    const rowLimit = Math.floor(limit);
    const key = `${kindCount}:${rowLimit}`;
    let statement = this.dueStatements.get(key);
    if (!statement) {
      const kinds = Array.from({ length: Math.max(1, kindCount) }, () => '?').join(', ');
      statement = this.db
        .prepare(
          `SELECT ${CLAIM_COLUMNS} FROM items INDEXED BY items_pending
           WHERE status = 'pending' AND (? = 1 OR next_attempt_at <= ?) AND kind IN (${kinds})
           ORDER BY priority DESC, id LIMIT ${rowLimit}`,
        )
        .raw();
      this.dueStatements.set(key, statement);
    }
    return statement;
  }

  private byIdOfKinds(id: number, kinds: readonly string[]): ClaimRow[] {
    const row = this.statements.pendingById.get(id) as ClaimRow | undefined;
    return row && kinds.includes(row[1]) ? [row] : [];
  }

  complete(
    id: number,
    owner: string,
    outcome: AheadOutcome & { nowMs: number; result?: unknown; resultJson?: string },
  ) {
    const result =
      outcome.resultJson ?? (outcome.result === undefined ? null : JSON.stringify(outcome.result));
    const params = { id, owner, now: outcome.nowMs, result, ahead: aheadCount(outcome) };
    return this.writes.run(() => this.statements.complete.run(params).changes > 0, OUTCOME);
  }

  reschedule(
    id: number,
    owner: string,
    outcome: AheadOutcome & { nowMs: number; nextAttemptAtMs: number; error: ItemError },
  ) {
    const params = {
      id,
      owner,
      now: outcome.nowMs,
      next: outcome.nextAttemptAtMs,
      error: JSON.stringify(outcome.error),
      ahead: aheadCount(outcome),
    };
    return this.writes.run(() => this.statements.reschedule.run(params).changes > 0, OUTCOME);
  }

  release(
    id: number,
    owner: string,
    outcome: AheadOutcome & { nowMs: number; nextAttemptAtMs?: number; error?: ItemError },
  ) {
    const { nowMs: now, nextAttemptAtMs, error } = outcome;
    const params = {
      id,
      owner,
      now,
      ahead: aheadCount(outcome),
      next: nextAttemptAtMs ?? null,
      error: error === undefined ? null : JSON.stringify(error),
    };
    return this.writes.run(() => this.statements.release.run(params).changes > 0, { singleStatement: true });
  }

  bury(
    id: number,
    owner: string,
    outcome: AheadOutcome & { nowMs: number; reason: string; error?: ItemError },
  ) {
    const { nowMs: now, reason } = outcome;
    const error = outcome.error ? JSON.stringify(outcome.error) : null;
    const params = { id, owner, now, reason, error, ahead: aheadCount(outcome) };
    return this.writes.run(() => this.statements.bury.run(params).changes > 0, OUTCOME);
  }

  async renew(ids: readonly number[], owner: string, leaseUntilMs: number) {
    await this.writes.run(() => {
      for (const id of ids) this.statements.renew.run(leaseUntilMs, id, owner);
    });
  }

  async recover(nowMs: number, isOwnerAlive: (owner: string) => boolean, options: { lapsed?: boolean } = {}) {
    const recovery: Recovery = { requeued: 0, buried: [] };
    // A running queue looks every few seconds: take the write lock only when there is something to take.
    if (!this.statements.anyRunning.get()) return recovery;
    this.db
      .transaction(() => {
        for (const row of this.statements.running.all() as Row[]) {
          const lapsed = options.lapsed !== false && (row.lease_until ?? 0) < nowMs;
          if (!lapsed && row.owner !== null && isOwnerAlive(row.owner)) continue;
          const reason =
            recoveredOutOfAttempts({ attempts: row.attempts, maxAttempts: row.max_attempts }) ?? null;
          this.statements.unclaim.run({ id: row.id, now: nowMs, reason });
          if (reason === null) recovery.requeued++;
          else recovery.buried.push(toItem(this.statements.byId.get(row.id) as Row));
        }
      })
      .immediate();
    return recovery;
  }

  async get(id: number) {
    this.inbox.fold();
    const row = this.statements.byId.get(id) as Row | undefined;
    return row ? toItem(row) : undefined;
  }

  async list(filter: ListFilter = {}) {
    this.inbox.fold();
    const statuses =
      filter.status === undefined
        ? null
        : typeof filter.status === 'string'
          ? [filter.status]
          : filter.status;
    const rows = this.statements.list.all({
      statuses: statuses ? JSON.stringify(statuses) : null,
      kind: filter.kind ?? null,
      limit: filter.limit ?? 100,
      offset: filter.offset ?? 0,
    }) as Row[];
    return rows.map(toItem);
  }

  async counts(): Promise<QueueCounts> {
    this.inbox.fold();
    const count = (statement: { get(): unknown }) => (statement.get() as { count: number }).count;
    const counts: QueueCounts = {
      pending: count(this.statements.countPending),
      running: 0,
      completed: count(this.statements.countCompleted),
      dead: 0,
      total: 0,
    };
    for (const row of this.statements.countAttention.all() as Array<{
      status: 'running' | 'dead';
      count: number;
    }>) {
      counts[row.status] = row.count;
    }
    counts.total = counts.pending + counts.running + counts.completed + counts.dead;
    const times = this.statements.pendingTimes.get() as { nextDue: number | null; oldest: number | null };
    if (times.nextDue !== null) counts.nextDueAtMs = times.nextDue;
    if (times.oldest !== null) counts.oldestPendingAtMs = times.oldest;
    return counts;
  }

  async nextDueAtMs() {
    this.inbox.fold();
    const { nextDue } = this.statements.pendingTimes.get() as { nextDue: number | null };
    return nextDue ?? undefined;
  }

  async remove(id: number) {
    this.inbox.fold();
    return this.statements.remove.run(id).changes > 0;
  }

  async retryDead(nowMs: number, id?: number) {
    return this.statements.retryDead.run({ now: nowMs, id: id ?? null }).changes;
  }

  async clear(options: { includePending: boolean }) {
    this.inbox.fold();
    const statuses: ItemStatus[] = options.includePending
      ? ['completed', 'dead', 'pending']
      : ['completed', 'dead'];
    return this.statements.clear.run(JSON.stringify(statuses)).changes;
  }

  async purgeCompleted(beforeMs: number) {
    return this.statements.purge.run(beforeMs).changes;
  }

  async readPaused() {
    const row = this.statements.readState.get('paused') as { value: string } | undefined;
    return row?.value === 'true';
  }

  async writePaused(paused: boolean) {
    this.statements.writeState.run('paused', String(paused));
  }

  async close() {
    this.writes.flush();
    if (this.db.open) this.db.close();
  }
}

/** The attempt an outcome counts: one for an item claimed ahead (its claim did not count it). */
function aheadCount(outcome: AheadOutcome): number {
  return outcome.claimedAhead ? 1 : 0;
}
