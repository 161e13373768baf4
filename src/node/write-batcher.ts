import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from './sqlite.js';

interface Pending {
  work: () => unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit: writes that arrive in the same turn of the event loop share one transaction, so a worker
 * completing eight operations at once pays one commit (one fsync with synchronous=FULL), not eight.
 * Each write runs in its own savepoint — one that throws is rolled back alone — and each caller's promise
 * settles only after the shared commit, so nothing is acknowledged before it is durable.
 */
export class WriteBatcher {
  private pending: Pending[] = [];
  private scheduled = false;
  private readonly savepoint: Statement;
  private readonly release: Statement;
  private readonly rollback: Statement;
  private readonly runBatch: { immediate(batch: Pending[]): Outcome[] };

  constructor(db: SqliteDatabase) {
    this.savepoint = db.prepare('SAVEPOINT batched_write');
    this.release = db.prepare('RELEASE batched_write');
    this.rollback = db.prepare('ROLLBACK TO batched_write');
    this.runBatch = db.transaction((batch: Pending[]) =>
      batch.map((entry) => this.runOne(entry, batch.length > 1)),
    );
  }

  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Runs everything queued now, in one transaction. */
  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    let outcomes: Outcome[];
    try {
      outcomes = this.runBatch.immediate(batch);
    } catch (error) {
      for (const { reject } of batch) reject(error);
      return;
    }
    batch.forEach(({ resolve, reject }, index) => {
      const outcome = outcomes[index] as Outcome;
      if (outcome.ok) resolve(outcome.value);
      else reject(outcome.error);
    });
  }

  /** Alone in its transaction a write needs no savepoint: if it throws, the whole transaction rolls back. */
  private runOne({ work }: Pending, isolate: boolean): Outcome {
    if (!isolate) return { ok: true, value: work() };
    this.savepoint.run();
    try {
      const value = work();
      this.release.run();
      return { ok: true, value };
    } catch (error) {
      this.rollback.run();
      this.release.run();
      return { ok: false, error };
    }
  }
}
