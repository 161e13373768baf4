import type { Failure } from '../core/failure.js';
import { plural } from '../core/format.js';
import type { Backoff } from '../policy/backoff.js';
import type { ItemError, QueueItem } from './types.js';

/** What happens to an item after a failed attempt. */
export type Outcome =
  | { action: 'reschedule'; nextAttemptAtMs: number; delayMs: number; error: ItemError }
  | { action: 'bury'; reason: string; error: ItemError }
  /** The link is down: put it back without counting the attempt, and wait for the link. */
  | { action: 'release'; error: ItemError }
  /** A breaker refused it unsent: back without counting the attempt, due when the breaker tries again. */
  | { action: 'defer'; nextAttemptAtMs: number; delayMs: number; error: ItemError };

/** An open breaker whose trial is already running says "0 ms": try again a little later, not in a spin. */
const MIN_DEFER_MS = 1000;

/**
 * The queue's one rule for failures: permanent → dead letter now; the link itself down → back to
 * pending, attempt not counted; refused unsent by a breaker → back, not counted, due at its next trial;
 * out of attempts → dead letter; otherwise → pending, next attempt after the
 * server-named wait if there is one, else after the backoff for this attempt number.
 */
export function decideOutcome(item: QueueItem, failure: Failure, backoff: Backoff, nowMs: number): Outcome {
  const error = toItemError(failure, nowMs);
  if (!failure.retryable) return { action: 'bury', reason: `permanent failure: ${failure.message}`, error };
  if (failure.kind === 'offline') return { action: 'release', error };
  // Nothing was sent: an item must not run out of attempts while its host's breaker protects the host
  // (the breaker's trial calls, made by some item, are counted and still end in the dead letter).
  if (failure.kind === 'circuit-open') {
    const delayMs = Math.max(MIN_DEFER_MS, Math.round(failure.retryAfterMs ?? 0));
    return { action: 'defer', nextAttemptAtMs: nowMs + delayMs, delayMs, error };
  }
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
