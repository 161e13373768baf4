import type { FailureKind } from '../core/failure.js';

/**
 * An item's life: `pending` (waiting, maybe for its next attempt time) → `running` (claimed by a worker)
 * → `completed`, or back to `pending` after a transient failure, or `dead` (dead letter: a permanent
 * failure, or out of attempts) with its reason. Nothing leaves the queue silently.
 */
export type ItemStatus = 'pending' | 'running' | 'completed' | 'dead';

export const ITEM_STATUSES: readonly ItemStatus[] = ['pending', 'running', 'completed', 'dead'];

/** The last error an item met, as plain data (it is persisted). */
export interface ItemError {
  message: string;
  kind: FailureKind;
  code?: string;
  status?: number;
  atMs: number;
}

export interface QueueItem<Payload = unknown> {
  /** Sequential, so a person can type it: `lifeline queue remove 42`. */
  id: number;
  kind: string;
  payload: Payload;
  /** Higher runs first; equal priorities run first-in first-out. */
  priority: number;
  /** Sent with every attempt, so a server that honours it applies the effect once. */
  idempotencyKey: string;
  status: ItemStatus;
  /** Attempts started so far (an attempt interrupted by a crash counts: it may have reached the server). */
  attempts: number;
  maxAttempts: number;
  /** Not run before this time (epoch ms): `notBefore`, then the backoff schedule. */
  nextAttemptAtMs: number;
  createdAtMs: number;
  updatedAtMs: number;
  completedAtMs?: number;
  lastError?: ItemError;
  /** Why it is dead. */
  deadReason?: string;
  /** The handler's result, when completed (JSON). */
  result?: unknown;
  /** Which worker holds it while running, and until when its claim is good. */
  owner?: string;
  leaseUntilMs?: number;
}

/** What `enqueue` takes besides kind and payload. */
export interface EnqueueOptions {
  /** Default 0. Higher runs first. */
  priority?: number;
  /** Default a new UUID. Enqueuing again with a key already in the queue returns the existing item. */
  idempotencyKey?: string;
  /** Default the queue's `maxAttempts` (10). */
  maxAttempts?: number;
  /** Do not run before this time (epoch ms). */
  notBefore?: number;
}

/** A new item as the store receives it. */
export interface NewItem {
  kind: string;
  payload: unknown;
  priority: number;
  idempotencyKey: string;
  /**
   * The queue generated `idempotencyKey` just now (a UUIDv7), so no stored item can have it: a store may
   * skip the duplicate check (the SQLite store appends such an item to its unindexed inbox).
   */
  generatedKey?: boolean;
  /** `payload` as JSON, when the queue has serialised it already (it does, to check it). */
  payloadJson?: string;
  maxAttempts: number;
  nextAttemptAtMs: number;
  createdAtMs: number;
}

export interface QueueCounts {
  pending: number;
  running: number;
  completed: number;
  dead: number;
  total: number;
  /** When the earliest pending item may run (epoch ms), if any. */
  nextDueAtMs?: number;
  /** When the oldest pending item was enqueued, if any. */
  oldestPendingAtMs?: number;
}

export interface ListFilter {
  status?: ItemStatus | readonly ItemStatus[];
  kind?: string;
  /** Default 100. */
  limit?: number;
  offset?: number;
}

/** What a store writes down for a new item's payload. */
export function payloadJson(fresh: NewItem): string {
  return fresh.payloadJson ?? JSON.stringify(fresh.payload ?? null);
}

/** The item a new entry becomes once stored with `id`: pending, no attempt yet. */
export function pendingItem(id: number, fresh: NewItem): QueueItem {
  return {
    id,
    kind: fresh.kind,
    payload: fresh.payload,
    priority: fresh.priority,
    idempotencyKey: fresh.idempotencyKey,
    status: 'pending',
    attempts: 0,
    maxAttempts: fresh.maxAttempts,
    nextAttemptAtMs: fresh.nextAttemptAtMs,
    createdAtMs: fresh.createdAtMs,
    updatedAtMs: fresh.createdAtMs,
  };
}
