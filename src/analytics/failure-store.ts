import type { FailureRecord } from './records.js';

/**
 * Where a FailureLog persists its records, so `lifeline health failures` sees failures across runs.
 * The log keeps its own bounded copy in memory for queries; the store is written through and read once,
 * at `load()`. Methods may be synchronous (SQLite) or asynchronous (IndexedDB).
 */
export interface FailureStore {
  append(record: FailureRecord): void | Promise<void>;
  /** Records at or after `sinceMs`, oldest first, at most `limit` (the newest ones). */
  load(sinceMs: number, limit: number): FailureRecord[] | Promise<FailureRecord[]>;
  clear(): void | Promise<void>;
}

/** A store that keeps records in memory: for tests, and as the reference for the store contract. */
export class MemoryFailureStore implements FailureStore {
  private readonly records: FailureRecord[] = [];

  append(record: FailureRecord): void {
    this.records.push({ ...record });
  }

  load(sinceMs: number, limit: number): FailureRecord[] {
    return this.records.filter((record) => record.atMs >= sinceMs).slice(-limit);
  }

  clear(): void {
    this.records.length = 0;
  }
}
