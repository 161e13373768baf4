import type { ItemError, QueueItem } from './types.js';

/** Every transition of every item is an event: the CLI, the dashboard and the failure log listen. */
export interface QueueEvents {
  enqueued: { item: QueueItem };
  /** An attempt began. */
  started: { item: QueueItem };
  /** `result` is what the handler returned; `item.result` is the JSON copy the store keeps. */
  completed: { item: QueueItem; durationMs: number; result: unknown };
  /** A retryable failure: the item waits `delayMs` for its next attempt. */
  retrying: { item: QueueItem; delayMs: number; nextAttemptAtMs: number; error: ItemError };
  /** Put back without counting the attempt: the link went down, or the queue is stopping. */
  released: { item: QueueItem; reason: string };
  /** Dead letter: a permanent failure, or out of attempts. */
  dead: { item: QueueItem; reason: string; error?: ItemError };
  /** Items left running by a crashed process (or a lapsed claim) went back to pending. */
  recovered: { count: number };
  removed: { id: number };
  revived: { count: number };
  cleared: { count: number };
  purged: { count: number };
  paused: Record<string, never>;
  resumed: Record<string, never>;
  /** Nothing left to run now (after having run something). */
  drained: Record<string, never>;
  /** The store failed (disk full, locked too long); the worker keeps going and tries again. */
  error: { error: unknown };
}

/** What `sync()` did. */
export interface SyncSummary {
  attempted: number;
  completed: number;
  retrying: number;
  dead: number;
  released: number;
  /** Pending after the sync. */
  remaining: number;
  /** The queue was paused, so nothing was attempted. */
  paused: boolean;
}
