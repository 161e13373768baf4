import type { Failure } from '../core/failure.js';
import { plural } from '../core/format.js';
import type { Backoff } from '../policy/backoff.js';
import type { ItemError, QueueItem } from './types.js';

/** What happens to an item after a failed attempt. */
export type Outcome =
  | { action: 'reschedule'; nextAttemptAtMs: number; delayMs: number; error: ItemError }
  | { action: 'bury'; reason: string; error: ItemError }
  /** The link is down: put it back without counting the attempt, and wait for the link. */
  | { action: 'release'; error: ItemError };

/**
 * The queue's one rule for failures: permanent → dead letter now; out of attempts → dead letter; the
 * link itself down → back to pending, attempt not counted; otherwise → pending, next attempt after the
 * server-named wait if there is one, else after the backoff for this attempt number.
 */
export function decideOutcome(item: QueueItem, failure: Failure, backoff: Backoff, nowMs: number): Outcome {
  const error = toItemError(failure, nowMs);
  if (!failure.retryable) return { action: 'bury', reason: `permanent failure: ${failure.message}`, error };
  if (failure.kind === 'offline') return { action: 'release', error };
  if (item.attempts >= item.maxAttempts) {
    return {
      action: 'bury',
      reason: `gave up after ${plural(item.attempts, 'attempt')}: ${failure.message}`,
      error,
    };
  }
  // Whole milliseconds: a jittered backoff is fractional, and a stored time of 1795418326660.3857 says nothing more.
  const delayMs = Math.round(
    failure.retryAfterMs !== undefined && failure.retryAfterMs > 0
      ? failure.retryAfterMs
      : backoff.delayMs(item.attempts),
  );
  return { action: 'reschedule', nextAttemptAtMs: nowMs + delayMs, delayMs, error };
}

/**
 * What `recover` does with a running item it takes back: its dead-letter reason when the attempt left
 * unfinished (its process died — a handler that crashes it, say — or its claim lapsed) was its last, or
 * undefined: back to pending. Without this limit such an item would be retried forever.
 */
export function recoveredOutOfAttempts(
  item: Pick<QueueItem, 'attempts' | 'maxAttempts'>,
): string | undefined {
  if (item.attempts < item.maxAttempts) return undefined;
  return `gave up after ${plural(item.attempts, 'attempt')}: the last one never finished (its process stopped, or its claim lapsed)`;
}

export function toItemError(failure: Failure, nowMs: number): ItemError {
  const error: ItemError = { message: failure.message, kind: failure.kind, atMs: nowMs };
  if (failure.code !== undefined) error.code = failure.code;
  if (failure.status !== undefined) error.status = failure.status;
  return error;
}
