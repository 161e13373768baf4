import type { Clock } from '../core/clock.js';

/**
 * Pauses before each new try of an outcome write the store refused with an error. A completion that is
 * never written leaves its item running, though its effect happened: the next recovery runs it again (its
 * idempotency key keeps that harmless), or, when that was its last attempt, sends it to the dead letter.
 * A store refuses for a moment more often than for good (a lock held by another process past the busy
 * timeout, a disk that was full until a log rotated), so it gets three more tries over about six seconds.
 */
export const OUTCOME_RETRY_DELAYS_MS: readonly number[] = [100, 1000, 5000];

/**
 * Settles with what the write resolved to: `true` written, `false` the item is no longer this worker's
 * (nothing to try again). A write that throws is tried again after each of `delaysMs`; every error is
 * passed to `onError`, and after the last one the answer is `false`. Once `signal` aborts (the queue is
 * stopping and its grace time is over), the tries left come at once: a stop is not held up by the pauses.
 */
export async function writeOutcome(
  first: Promise<boolean>,
  again: () => Promise<boolean>,
  clock: Clock,
  onError: (error: unknown) => void,
  signal?: AbortSignal,
  delaysMs: readonly number[] = OUTCOME_RETRY_DELAYS_MS,
): Promise<boolean> {
  let writing = first;
  for (let retry = 0; ; retry++) {
    try {
      return await writing;
    } catch (error) {
      onError(error);
      const delayMs = delaysMs[retry];
      if (delayMs === undefined) return false;
      await clock.sleep(delayMs, signal).catch(() => {});
      writing = Promise.resolve().then(again);
    }
  }
}
