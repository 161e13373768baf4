import type { QueueItem } from './types.js';

/** What a handler gets besides the payload. */
export interface HandlerContext {
  item: QueueItem;
  /** Send it with the effect (an Idempotency-Key header): a retry after a crash then applies nothing twice. */
  idempotencyKey: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** Aborts when the queue stops before the attempt finished (once `stop`'s grace period is over). */
  signal: AbortSignal;
  /**
   * Aborts as soon as the queue begins to stop. An attempt that is only waiting (for the link, or for its
   * next try) should end now rather than hold the stop for its whole grace period; one in the middle of
   * its effect may finish within the grace.
   */
  stopping?: AbortSignal;
  /**
   * Run by `sync()` or `run()`, whose caller waits for this attempt's outcome: a handler should give up
   * on a peer that does not answer after a few quick tries rather than wait it out (the queue retries the
   * item later, on its own schedule).
   */
  callerWaiting?: boolean;
}

export type Handler<Payload = unknown, Result = unknown> = (
  payload: Payload,
  context: HandlerContext,
) => Result | PromiseLike<Result>;

/** How an attempt ended, for `run()` and `sync()`. */
export type AttemptOutcome =
  | { status: 'completed'; result: unknown }
  | { status: 'retrying' | 'released'; reason: string }
  | { status: 'dead'; reason: string; error: unknown };
