import type { Clock } from '../core/clock.js';
import { InvalidOptionError } from '../core/errors.js';

export interface PushbackOptions {
  /** 429 (too many requests) or 503 (unavailable). Default 503. */
  status?: 429 | 503;
  /** Sent as `Retry-After` (whole seconds). Default 1. */
  retryAfterSeconds?: number;
  /** How long to push back, from now. Default: until `clearPushback()`. */
  durationMs?: number;
}

export interface ActivePushback {
  status: 429 | 503;
  retryAfterSeconds: number;
}

/** An injected refusal of new operations, for tests and demos of how clients cope with pushback. */
export class Pushback {
  private active: ActivePushback | undefined;
  private untilMs = Number.POSITIVE_INFINITY;

  constructor(private readonly clock: Clock) {}

  inject(options: PushbackOptions = {}): void {
    const status = options.status ?? 503;
    const retryAfterSeconds = options.retryAfterSeconds ?? 1;
    const durationMs = options.durationMs ?? Number.POSITIVE_INFINITY;
    if (status !== 429 && status !== 503)
      throw new InvalidOptionError(`injectPushback: status must be 429 or 503, got ${String(status)}`);
    if (!Number.isInteger(retryAfterSeconds) || retryAfterSeconds < 0) {
      throw new InvalidOptionError(
        `injectPushback: retryAfterSeconds must be a whole number ≥ 0 (Retry-After is in seconds), got ${String(retryAfterSeconds)}`,
      );
    }
    if (!(durationMs > 0))
      throw new InvalidOptionError(`injectPushback: durationMs must be > 0, got ${String(durationMs)}`);
    this.active = { status, retryAfterSeconds };
    this.untilMs = this.clock.now() + durationMs;
  }

  clear(): void {
    this.active = undefined;
  }

  /** The refusal in force now, if any. */
  current(): ActivePushback | undefined {
    if (this.active && this.clock.now() >= this.untilMs) this.active = undefined;
    return this.active;
  }
}
