import { type Clock, realClock } from '../core/clock.js';
import { RateLimitedError } from '../core/errors.js';
import { requireNumber } from '../core/validate.js';
import type { BaseContext } from './context.js';
import { type Done, LayeredPolicy, type Next } from './layer.js';
import type { ClockOption } from './policy.js';

export interface RateLimitOptions extends ClockOption {
  /** Sustained rate. */
  callsPerSecond: number;
  /** Calls that may go at once after a quiet spell (bucket size). Default max(1, callsPerSecond). */
  burst?: number;
  /** A call may wait up to this long for its turn; beyond, it is rejected with RATE_LIMITED. Default 0. */
  maxWaitMs?: number;
}

export interface RateLimitEvents {
  rejected: { retryAfterMs: number };
  delayed: { delayMs: number };
}

/**
 * A token bucket. Waiting calls reserve their token up front, so they go in arrival order and a burst
 * cannot starve earlier callers; a cancelled wait gives its token back.
 */
export class RateLimit extends LayeredPolicy<RateLimitEvents> {
  readonly callsPerSecond: number;
  readonly burst: number;
  readonly maxWaitMs: number;
  private readonly clock: Clock;
  private tokens: number;
  private refilledAtMs: number;

  constructor(options: RateLimitOptions) {
    super();
    this.callsPerSecond = requireNumber(
      'rateLimit',
      'callsPerSecond',
      options?.callsPerSecond,
      Number.MIN_VALUE,
    );
    this.burst = requireNumber('rateLimit', 'burst', options.burst ?? Math.max(1, this.callsPerSecond), 1);
    this.maxWaitMs = requireNumber('rateLimit', 'maxWaitMs', options.maxWaitMs ?? 0, 0, {
      allowInfinity: true,
    });
    this.clock = options.clock ?? realClock;
    this.tokens = this.burst;
    this.refilledAtMs = this.clock.now();
  }

  /** Tokens available now (negative while calls wait for reserved tokens). */
  get available(): number {
    this.refill();
    return this.tokens;
  }

  run(next: Next, context: BaseContext, done: Done): void {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      next(context, done);
      return;
    }
    const delayMs = ((1 - this.tokens) / this.callsPerSecond) * 1000;
    if (delayMs > this.maxWaitMs) {
      if (this.listening('rejected')) this.emit('rejected', { retryAfterMs: delayMs });
      done(true, new RateLimitedError(delayMs));
      return;
    }
    this.tokens -= 1;
    if (this.listening('delayed')) this.emit('delayed', { delayMs });
    this.clock.sleep(delayMs, context.signal).then(
      () => next(context, done),
      (reason) => {
        this.tokens += 1;
        done(true, reason);
      },
    );
  }

  private refill(): void {
    const nowMs = this.clock.now();
    const elapsedMs = nowMs - this.refilledAtMs;
    if (elapsedMs <= 0) return;
    this.tokens = Math.min(this.burst, this.tokens + (elapsedMs / 1000) * this.callsPerSecond);
    this.refilledAtMs = nowMs;
  }
}

export function rateLimit(options: RateLimitOptions): RateLimit {
  return new RateLimit(options);
}
