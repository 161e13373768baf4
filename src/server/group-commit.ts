import { SameTurnBatch } from '../node/same-turn-batch.js';
import type { NewOperation, OpsStore, RecordResult, Respond } from './ops-store.js';

/**
 * Group commit for the operations endpoint: requests whose bodies arrive in the same turn of the event
 * loop are recorded together, each in its own savepoint, under one commit. With `synchronous: 'full'` the
 * commit's fsync dominates the cost of an operation, so sharing it lets throughput grow with the number of
 * concurrent clients instead of being capped at one fsync per request. Nothing is acknowledged before its
 * commit.
 */
export class CommitQueue {
  private readonly batch: SameTurnBatch<{ operation: NewOperation; respond: Respond }, RecordResult>;

  /** `store` is asked at commit time, so a store closed meanwhile fails the batch cleanly. */
  constructor(store: () => OpsStore) {
    this.batch = new SameTurnBatch((requests) =>
      store()
        .recordMany(requests)
        .map((result) =>
          result instanceof Error ? { ok: false, error: result } : { ok: true, value: result },
        ),
    );
  }

  record(operation: NewOperation, respond: Respond): Promise<RecordResult> {
    return this.batch.add({ operation, respond });
  }

  /** Commits what is waiting now (the server calls it before closing the database). */
  flush(): void {
    this.batch.flush();
  }
}
