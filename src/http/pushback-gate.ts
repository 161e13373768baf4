import { type Clock, realClock } from '../core/clock.js';
import { RetryAfterTooLongError } from '../core/errors.js';
import { formatDuration } from '../core/format.js';
import type { BaseContext } from '../policy/context.js';
import { type Done, LayeredPolicy, type Next } from '../policy/layer.js';

export interface PushbackEvents {
  /** A server named a wait: every call to this host waits until `untilMs`. */
  pushback: { host: string; retryAfterMs: number; untilMs: number };
}

/**
 * Shared pushback for one host: when a 429 or 503 names a wait, every call to that host — from any
 * caller — waits until then, instead of each discovering it on its own. A wait longer than
 * `maxRetryAfterMs` fails at once with RETRY_AFTER_TOO_LONG, so nothing hangs on a far-off date.
 */
export class PushbackGate extends LayeredPolicy<PushbackEvents> {
  constructor(
    readonly host: string,
    private readonly maxRetryAfterMs: number,
    private readonly clock: Clock = realClock,
    /** Shared with the views `limitedTo` makes, so a pause holds for all of them. */
    private readonly pause: { untilMs: number } = { untilMs: 0 },
  ) {
    super();
  }

  /**
   * The same gate — the same pause — for calls that wait at most `maxRetryAfterMs` (a request's own limit).
   * Pauses go through the original: only it emits `pushback`.
   */
  limitedTo(maxRetryAfterMs: number): PushbackGate {
    if (maxRetryAfterMs === this.maxRetryAfterMs) return this;
    return new PushbackGate(this.host, maxRetryAfterMs, this.clock, this.pause);
  }

  /** Pauses the host for `retryAfterMs` from now (a later pause extends, an earlier one is ignored). */
  pauseFor(retryAfterMs: number): void {
    const untilMs = this.clock.now() + retryAfterMs;
    if (untilMs <= this.pause.untilMs) return;
    this.pause.untilMs = untilMs;
    this.emit('pushback', { host: this.host, retryAfterMs, untilMs });
  }

  /** Time until calls may go again (0 when they may go now). */
  get remainingMs(): number {
    return Math.max(0, this.pause.untilMs - this.clock.now());
  }

  run(next: Next, context: BaseContext, done: Done): void {
    const waitMs = this.remainingMs;
    if (waitMs === 0) {
      next(context, done);
      return;
    }
    if (waitMs > this.maxRetryAfterMs) {
      const cause = new Error(`${this.host} asked callers to wait ${formatDuration(waitMs)}`);
      done(true, new RetryAfterTooLongError(waitMs, this.maxRetryAfterMs, cause));
      return;
    }
    this.clock.sleep(waitMs, context.signal).then(
      () => this.run(next, context, done),
      (reason) => done(true, reason),
    );
  }
}
