import type { ItemError, ListFilter, NewItem, QueueCounts, QueueItem } from './types.js';

export interface ClaimRequest {
  nowMs: number;
  /** At most this many items. */
  limit: number;
  owner: string;
  /** The claim lapses at this time unless renewed; a lapsed claim can be recovered by anyone. */
  leaseUntilMs: number;
  /** Only these kinds (the ones this worker has handlers for). */
  kinds: readonly string[];
  /** Claim pending items even if their next attempt time has not come (`sync`). */
  ignoreSchedule?: boolean;
  /** Claim exactly this item, if it is pending (`run`). */
  id?: number;
  /**
   * How many of the claimed items (the first, in run order) start now: the claim counts their attempt.
   * Default: all. The rest are claimed ahead — held for this worker's next free slots — and their attempt
   * is counted by the outcome that settles them (`claimedAhead`), so a crash before they ran costs them
   * nothing: a handler that kills the process cannot take the items queued behind it to dead letter.
   */
  startNow?: number;
}

/** Said of an outcome for an item claimed ahead: its attempt was not counted by the claim, so this counts it. */
export interface AheadOutcome {
  claimedAhead?: boolean;
}

/** What `recover` did with the running items it took back. */
export interface Recovery {
  /** Back to pending, to run again. */
  requeued: number;
  /**
   * Out of attempts: the attempt their process (or lapsed claim) left unfinished was their last counted
   * one. Dead letter, with `recoveredOutOfAttempts`'s reason — so a handler that kills its process is not
   * run forever.
   */
  buried: QueueItem[];
}

/**
 * Where the queue keeps its items. Declared here, implemented where it runs: MemoryQueueStore (tests,
 * browsers without persistence), SqliteQueueStore (node/), and every implementation passes
 * test/contract/queue-store.contract.ts.
 *
 * Every method is one atomic step: a crash between two calls leaves each item in a valid state, and the
 * worst a crash can do is leave an item `running` — `recover` returns such items to `pending`.
 * Methods that act for a worker take its `owner` and do nothing if the item is not held by that owner,
 * so a worker whose claim was recovered by someone else cannot overwrite the newer state.
 */
export interface QueueStore {
  /**
   * Adds items in one transaction. An item whose idempotency key is already stored is not added again:
   * the stored item is returned in its place (`inserted: false`).
   */
  insert(items: readonly NewItem[]): Promise<Array<{ item: QueueItem; inserted: boolean }>>;
  /** Marks due pending items `running` for `owner` (attempts + 1) and returns them, highest priority first. */
  claim(request: ClaimRequest): Promise<QueueItem[]>;
  /** `resultJson`, when given, is `result` as JSON already (the worker has it: a store need not serialise again). */
  complete(
    id: number,
    owner: string,
    outcome: AheadOutcome & { nowMs: number; result?: unknown; resultJson?: string },
  ): Promise<boolean>;
  /** Back to pending after a retryable failure, to run again at `nextAttemptAtMs`. */
  reschedule(
    id: number,
    owner: string,
    outcome: AheadOutcome & { nowMs: number; nextAttemptAtMs: number; error: ItemError },
  ): Promise<boolean>;
  /**
   * Back to pending without counting the attempt (the link was down; shutting down before it started; a
   * breaker refused it unsent): due again at `nextAttemptAtMs` when given (else as it was), with `error`
   * as its last error when given.
   */
  release(
    id: number,
    owner: string,
    outcome: AheadOutcome & { nowMs: number; nextAttemptAtMs?: number; error?: ItemError },
  ): Promise<boolean>;
  /** Dead letter: it will not run again unless `retryDead` brings it back. */
  bury(
    id: number,
    owner: string,
    outcome: AheadOutcome & { nowMs: number; reason: string; error?: ItemError },
  ): Promise<boolean>;
  /** Extends the claims of running items held by `owner`. */
  renew(ids: readonly number[], owner: string, leaseUntilMs: number): Promise<void>;
  /**
   * Takes back `running` items whose claim has lapsed, or whose owner `isOwnerAlive` says is gone (a
   * crashed process): to `pending`, or to dead letter when their attempts have reached `maxAttempts`. The
   * attempt they were on stays counted (if the claim counted it: not for items claimed ahead).
   * `lapsed: false` (a running queue's sweeps) takes back only items whose owner is gone: a live owner's
   * lapsed claim may still be running (a laptop that slept, a renewal the disk refused), and taking it back
   * would run the item twice at once.
   */
  recover(
    nowMs: number,
    isOwnerAlive: (owner: string) => boolean,
    options?: { lapsed?: boolean },
  ): Promise<Recovery>;
  get(id: number): Promise<QueueItem | undefined>;
  list(filter?: ListFilter): Promise<QueueItem[]>;
  counts(): Promise<QueueCounts>;
  /** When the earliest pending item is due (undefined: none pending) — what an idle worker needs, cheaply. */
  nextDueAtMs(): Promise<number | undefined>;
  /** Removes an item that is not running. Returns whether it did. */
  remove(id: number): Promise<boolean>;
  /** Dead items (one, or all) back to pending with their attempts reset. Returns how many. */
  retryDead(nowMs: number, id?: number): Promise<number>;
  /** Removes completed and dead items, and pending ones too when `includePending`. Never running ones. */
  clear(options: { includePending: boolean }): Promise<number>;
  /** Removes completed items finished before `beforeMs`. */
  purgeCompleted(beforeMs: number): Promise<number>;
  /**
   * Whether the queue is paused. Kept in the store, so `lifeline queue pause` reaches an agent running in
   * another process, and a paused queue stays paused across restarts.
   */
  readPaused(): Promise<boolean>;
  writePaused(paused: boolean): Promise<void>;
  close(): Promise<void>;
}
