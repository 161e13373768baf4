import type { NewOperation, OpsStore, RecordResult, Respond } from './ops-store.js';

interface Pending {
  operation: NewOperation;
  respond: Respond;
  resolve(result: RecordResult): void;
  reject(error: unknown): void;
}

/**
 * Group commit for the operations endpoint. Requests whose bodies arrive in the same turn of the event
 * loop are recorded together when that turn ends (`setImmediate`): each in its own savepoint, all under
 * one commit. With `synchronous: 'full'` the commit's fsync dominates the cost of an operation, so
 * sharing it lets throughput grow with the number of concurrent clients instead of being capped at one
 * fsync per request, while a lone request waits only for the end of the current turn. Nothing is
 * acknowledged before its commit: a request's promise settles after the batch is on disk.
 */
export class CommitQueue {
  private pending: Pending[] = [];
  private scheduled = false;

  /** `store` is asked at commit time, so a store closed meanwhile fails the batch cleanly. */
  constructor(private readonly store: () => OpsStore) {}

  record(operation: NewOperation, respond: Respond): Promise<RecordResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ operation, respond, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits what is waiting now (the server calls it before closing the database). */
  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    let results: Array<RecordResult | Error>;
    try {
      results = this.store().recordMany(batch);
    } catch (error) {
      for (const request of batch) request.reject(error);
      return;
    }
    for (let i = 0; i < batch.length; i++) {
      const request = batch[i] as Pending;
      const result = results[i] as RecordResult | Error;
      if (result instanceof Error) request.reject(result);
      else request.resolve(result);
    }
  }
}
