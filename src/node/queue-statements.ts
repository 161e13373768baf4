import type { Statement } from 'better-sqlite3';
import { CLAIM_COLUMNS } from './queue-rows.js';
import type { SqliteDatabase } from './sqlite.js';

type StatementName =
  | 'insert'
  | 'byKey'
  | 'byId'
  | 'pendingById'
  | 'claimOne'
  | 'complete'
  | 'reschedule'
  | 'release'
  | 'bury'
  | 'renew'
  | 'running'
  | 'anyRunning'
  | 'unclaim'
  | 'countPending'
  | 'countCompleted'
  | 'countAttention'
  | 'pendingTimes'
  | 'remove'
  | 'retryDead'
  | 'clear'
  | 'purge'
  | 'readState'
  | 'writeState'
  | 'list';

/** The queue store's prepared statements, by name. */
export type QueueStatements = Record<StatementName, Statement>;

/** The queue store's prepared SQL, but for the claim of due items (one statement per number of kinds). */
export function prepareQueueStatements(db: SqliteDatabase): QueueStatements {
  return {
    insert: db.prepare(
      `INSERT INTO items (kind, payload, priority, idempotency_key, status, max_attempts, next_attempt_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?)`,
    ),
    byKey: db.prepare('SELECT * FROM items WHERE idempotency_key = ?'),
    byId: db.prepare('SELECT * FROM items WHERE id = ?'),
    pendingById: db.prepare(`SELECT ${CLAIM_COLUMNS} FROM items WHERE id = ? AND status = 'pending'`).raw(),
    // No RETURNING: claim() has just read the row in the same transaction (RETURNING doubles the cost).
    claimOne: db.prepare(
      `UPDATE items SET status = 'running', attempts = attempts + @counted, owner = @owner, lease_until = @lease, updated_at = @now
       WHERE id = @id AND status = 'pending'`,
    ),
    complete: db.prepare(
      `UPDATE items SET status = 'completed', attempts = attempts + @ahead, completed_at = @now, updated_at = @now, result = @result,
         owner = NULL, lease_until = NULL
       WHERE id = @id AND status = 'running' AND owner = @owner`,
    ),
    reschedule: db.prepare(
      `UPDATE items SET status = 'pending', attempts = attempts + @ahead, next_attempt_at = @next, last_error = @error, updated_at = @now,
         owner = NULL, lease_until = NULL
       WHERE id = @id AND status = 'running' AND owner = @owner`,
    ),
    release: db.prepare(
      `UPDATE items SET status = 'pending', attempts = MAX(0, attempts - 1 + @ahead), updated_at = @now, owner = NULL, lease_until = NULL,
         next_attempt_at = COALESCE(@next, next_attempt_at), last_error = COALESCE(@error, last_error)
       WHERE id = @id AND status = 'running' AND owner = @owner`,
    ),
    bury: db.prepare(
      `UPDATE items SET status = 'dead', attempts = attempts + @ahead, dead_reason = @reason, last_error = COALESCE(@error, last_error), updated_at = @now,
         owner = NULL, lease_until = NULL
       WHERE id = @id AND status = 'running' AND owner = @owner`,
    ),
    renew: db.prepare("UPDATE items SET lease_until = ? WHERE id = ? AND status = 'running' AND owner = ?"),
    running: db.prepare("SELECT * FROM items WHERE status = 'running'"),
    anyRunning: db.prepare("SELECT 1 FROM items WHERE status = 'running' LIMIT 1").pluck(),
    // Back to pending, or (given a reason: out of attempts) to dead letter.
    unclaim: db.prepare(
      `UPDATE items SET status = IIF(@reason IS NULL, 'pending', 'dead'), dead_reason = @reason, owner = NULL, lease_until = NULL,
         updated_at = @now WHERE id = @id AND status = 'running'`,
    ),
    countPending: db.prepare("SELECT COUNT(*) AS count FROM items WHERE status = 'pending'"),
    countCompleted: db.prepare("SELECT COUNT(*) AS count FROM items WHERE status = 'completed'"),
    countAttention: db.prepare(
      "SELECT status, COUNT(*) AS count FROM items WHERE status IN ('running', 'dead') GROUP BY status",
    ),
    pendingTimes: db.prepare(
      "SELECT MIN(next_attempt_at) AS nextDue, MIN(created_at) AS oldest FROM items WHERE status = 'pending'",
    ),
    remove: db.prepare("DELETE FROM items WHERE id = ? AND status != 'running'"),
    retryDead: db.prepare(
      `UPDATE items SET status = 'pending', attempts = 0, next_attempt_at = @now, dead_reason = NULL, updated_at = @now
       WHERE status = 'dead' AND (@id IS NULL OR id = @id)`,
    ),
    clear: db.prepare('DELETE FROM items WHERE status IN (SELECT value FROM json_each(?))'),
    purge: db.prepare("DELETE FROM items WHERE status = 'completed' AND completed_at < ?"),
    readState: db.prepare('SELECT value FROM queue_state WHERE key = ?'),
    writeState: db.prepare(
      'INSERT INTO queue_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
    list: db.prepare(
      `SELECT * FROM items WHERE (@statuses IS NULL OR status IN (SELECT value FROM json_each(@statuses)))
         AND (@kind IS NULL OR kind = @kind)
       ORDER BY priority DESC, id LIMIT @limit OFFSET @offset`,
    ),
  };
}
