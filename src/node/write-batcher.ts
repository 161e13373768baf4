import type { Statement } from 'better-sqlite3';
import { type BatchOutcome, SameTurnBatch } from './same-turn-batch.js';
import type { SqliteDatabase } from './sqlite.js';

export interface WriteOptions {
  /** The write may wait up to the batcher's `lazyMs` to share a later turn's commit (see SameTurnBatch). */
  lazy?: boolean;
  /** The write is a single statement: it fails alone without a savepoint. */
  singleStatement?: boolean;
}

interface Write {
  work: () => unknown;
  singleStatement: boolean;
}

/**
 * Group commit for a SQLite store: writes that arrive in the same turn of the event loop share one
 * transaction, so a worker completing eight operations at once pays one commit (one fsync with
 * synchronous=FULL), not eight. Each write runs in its own savepoint — one that throws is rolled back
 * alone — and each caller's promise settles only after the shared commit: nothing is acknowledged before
 * it is durable. A write that is one statement needs no savepoint (SQLite undoes a failed statement by
 * itself), which saves two statements per write in a busy batch.
 */
export class WriteBatcher {
  private readonly batch: SameTurnBatch<Write, unknown>;
  private readonly savepoint: Statement;
  private readonly release: Statement;
  private readonly rollback: Statement;

  constructor(db: SqliteDatabase, options: { lazyMs?: number } = {}) {
    this.savepoint = db.prepare('SAVEPOINT batched_write');
    this.release = db.prepare('RELEASE batched_write');
    this.rollback = db.prepare('ROLLBACK TO batched_write');
    const runBatch = db.transaction((writes: Write[]) =>
      writes.map((write) => this.runOne(write, writes.length > 1)),
    );
    this.batch = new SameTurnBatch((works) => runBatch.immediate(works), options);
  }

  run<T>(work: () => T, options: WriteOptions = {}): Promise<T> {
    return this.batch.add(
      { work, singleStatement: options.singleStatement === true },
      options.lazy,
    ) as Promise<T>;
  }

  /** Runs everything queued now, in one transaction. */
  flush(): void {
    this.batch.flush();
  }

  /** Alone in its transaction a write needs no savepoint: if it throws, the whole transaction rolls back. */
  private runOne({ work, singleStatement }: Write, isolate: boolean): BatchOutcome<unknown> {
    if (!isolate) return { ok: true, value: work() };
    if (singleStatement) {
      try {
        return { ok: true, value: work() };
      } catch (error) {
        return { ok: false, error };
      }
    }
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
