import type { QueueItem } from './types.js';

/** Attempts shorter than this on average are claimed ahead; longer ones one free slot at a time. */
export const SHORT_ATTEMPT_MS = 100;
/**
 * Rounds of `concurrency` items claimed beyond the free slots. Two, not one: with one, the buffer ran dry
 * every few items and freed slots waited for a claim's commit (drain 1.43–1.46× the plain fetch loop;
 * with two, 1.61–1.66× in the same A/B).
 */
export const ROUNDS_AHEAD = 2;
/** Weight of the newest attempt in the running average of attempt durations. */
const SMOOTHING = 0.2;

/**
 * Items a worker has claimed before a slot was free for them. Every claim is a write to the store, so a
 * worker that claimed one item per freed slot paid a commit per item; short operations (HTTP requests,
 * a few milliseconds each) are therefore claimed a batch at a time — the free slots plus ROUNDS_AHEAD
 * rounds — and the rest wait here, claimed and leased, for the next free slots. Long operations (uploads) are
 * claimed one free slot at a time, so that what the store shows as running is what runs, and no item
 * waits behind a claim for minutes. Items still here when the worker pauses, loses the link or stops
 * are released to the store unspent.
 */
export class ClaimAhead {
  private readonly waiting: QueueItem[] = [];
  private averageAttemptMs: number | undefined = undefined;

  /** How an attempt went: the running average decides whether to claim ahead. */
  recordAttempt(durationMs: number): void {
    this.averageAttemptMs =
      this.averageAttemptMs === undefined
        ? durationMs
        : this.averageAttemptMs + SMOOTHING * (durationMs - this.averageAttemptMs);
  }

  /** How many to claim beyond the free slots: up to ROUNDS_AHEAD rounds of `concurrency`, while attempts are short. */
  extraFor(concurrency: number): number {
    if (this.averageAttemptMs === undefined || this.averageAttemptMs >= SHORT_ATTEMPT_MS) return 0;
    return Math.max(0, ROUNDS_AHEAD * concurrency - this.waiting.length);
  }

  /** The next item claimed ahead, in claim order (priority, then first in first out). */
  take(): QueueItem | undefined {
    return this.waiting.shift();
  }

  /** The first item claimed ahead that passes `test`, taken out of turn. */
  takeFirst(test: (item: QueueItem) => boolean): QueueItem | undefined {
    const index = this.waiting.findIndex(test);
    return index < 0 ? undefined : this.waiting.splice(index, 1)[0];
  }

  keep(items: readonly QueueItem[]): void {
    this.waiting.push(...items);
  }

  get size(): number {
    return this.waiting.length;
  }

  ids(): number[] {
    return this.waiting.map((item) => item.id);
  }

  /** Empties it, returning what was waiting (to be released to the store). */
  takeAll(): QueueItem[] {
    return this.waiting.splice(0);
  }
}
