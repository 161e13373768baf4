import type { QueueItem } from './types.js';

/** What a handler gets besides the payload. */
export interface HandlerContext {
  item: QueueItem;
  /** Send it with the effect (an Idempotency-Key header): a retry after a crash then applies nothing twice. */
  idempotencyKey: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** Aborts when the queue stops before the attempt finished. */
  signal: AbortSignal;
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
