import { type Clock, realClock } from '../core/clock.js';
import { requireNumber } from '../core/validate.js';

/** How much sending may run ahead after a quiet spell, by default. */
const DEFAULT_BURST_MS = 50;

/**
 * A bandwidth limit in bytes per second. Uploads take bytes from it before sending them, so the link is
 * shared politely; one throttle can be shared by every upload (a global limit), and each upload can have
 * its own too. Each `take` reserves the next free interval of the link (virtual scheduling, as in GCRA),
 * so callers go in arrival order and none starves. The rate can change while uploads run.
 */
export class ByteThrottle {
  private rate: number | undefined;
  private nextFreeAtMs = 0;
  private readonly clock: Clock;
  private readonly burstMs: number;

  /** `bytesPerSecond` undefined: no limit. `burstMs`: how far sending may run ahead after a pause. */
  constructor(options: { bytesPerSecond?: number; clock?: Clock; burstMs?: number } = {}) {
    this.clock = options.clock ?? realClock;
    this.burstMs = requireNumber('ByteThrottle', 'burstMs', options.burstMs ?? DEFAULT_BURST_MS, 0);
    this.setRate(options.bytesPerSecond);
  }

  get bytesPerSecond(): number | undefined {
    return this.rate;
  }

  /** Changes the limit from now on (undefined removes it). */
  setRate(bytesPerSecond: number | undefined): void {
    if (bytesPerSecond !== undefined) requireNumber('ByteThrottle', 'bytesPerSecond', bytesPerSecond, 1);
    this.rate = bytesPerSecond;
    this.nextFreeAtMs = Math.min(this.nextFreeAtMs, this.clock.now());
  }

  /**
   * Reserves `bytes`. Undefined when they may be sent now (no promise, no await: this runs once per slice
   * of every upload); otherwise a promise that resolves when they may, and rejects with the signal's
   * reason if it aborts first.
   */
  take(bytes: number, signal?: AbortSignal): Promise<void> | undefined {
    const rate = this.rate;
    if (rate === undefined) return undefined;
    const nowMs = this.clock.now();
    const startAtMs = Math.max(nowMs - this.burstMs, this.nextFreeAtMs);
    this.nextFreeAtMs = startAtMs + (bytes / rate) * 1000;
    return startAtMs > nowMs ? this.clock.sleep(startAtMs - nowMs, signal) : undefined;
  }
}
