import type { Statement } from 'better-sqlite3';
import { type BatchOutcome, SameTurnBatch } from './same-turn-batch.js';
import type { SqliteDatabase } from './sqlite.js';

/**
 * Group commit for a SQLite store: writes that arrive in the same turn of the event loop share one
 * transaction, so a worker completing eight operations at once pays one commit (one fsync with
 * synchronous=FULL), not eight. Each write runs in its own savepoint — one that throws is rolled back
 * alone — and each caller's promise settles only after the shared commit: nothing is acknowledged before
 * it is durable.
 */
export class WriteBatcher {
  private readonly batch: SameTurnBatch<() => unknown, unknown>;
  private readonly savepoint: Statement;
  private readonly release: Statement;
  private readonly rollback: Statement;

  constructor(db: SqliteDatabase, options: { lazyMs?: number } = {}) {
    this.savepoint = db.prepare('SAVEPOINT batched_write');
    this.release = db.prepare('RELEASE batched_write');
    this.rollback = db.prepare('ROLLBACK TO batched_write');
    const runBatch = db.transaction((works: Array<() => unknown>) =>
      works.map((work) => this.runOne(work, works.length > 1)),
    );
    this.batch = new SameTurnBatch((works) => runBatch.immediate(works), options);
  }

  /** `lazy`: the write may wait up to `lazyMs` to share a later turn's commit (see SameTurnBatch). */
  run<T>(work: () => T, lazy = false): Promise<T> {
    return this.batch.add(work, lazy) as Promise<T>;
  }

  /** Runs everything queued now, in one transaction. */
  flush(): void {
    this.batch.flush();
  }

  /** Alone in its transaction a write needs no savepoint: if it throws, the whole transaction rolls back. */
  private runOne(work: () => unknown, isolate: boolean): BatchOutcome<unknown> {
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
