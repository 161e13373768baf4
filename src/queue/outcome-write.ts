import type { Clock } from '../core/clock.js';

/**
 * Pauses before each new try of an outcome write the store refused with an error. An outcome that is never
 * written leaves its item running: a completion whose effect happened is then run again (its idempotency
 * key keeps that harmless), or, when that was its last attempt, sent to the dead letter by recovery; a
 * failure is recorded as "never finished" instead of its real error. A store refuses for a moment more
 * often than for good (a lock held by another process past the busy timeout, a disk that was full until a
 * log rotated), so it gets three more tries over about six seconds.
 */
export const OUTCOME_RETRY_DELAYS_MS: readonly number[] = [100, 1000, 5000];

/**
 * Runs `write` now (synchronously up to its first await, so a claim made right after joins its commit),
 * and again after each of `delaysMs` while it throws. Every error but the last goes to `onRetry`; the last
 * is thrown. Once `signal` aborts (the queue is stopping and its grace time is over), the tries left come
 * at once: a stop is not held up by the pauses.
 */
export async function writeOutcome<T>(
  write: () => Promise<T>,
  clock: Clock,
  onRetry: (error: unknown) => void,
  signal?: AbortSignal,
  delaysMs: readonly number[] = OUTCOME_RETRY_DELAYS_MS,
): Promise<T> {
  for (const delayMs of delaysMs) {
    try {
      return await write();
    } catch (error) {
      onRetry(error);
      await clock.sleep(delayMs, signal).catch(() => {});
    }
  }
  return write();
}
