import { type Clock, realClock } from '../core/clock.js';
import { requireNumber } from '../core/validate.js';

/** How long a lost connection keeps the link "lossy": 10 minutes. */
export const DEFAULT_LOSS_MEMORY_MS = 10 * 60 * 1000;

/**
 * What uploads over one link remember of it, shared by all of them (lifeline/node's runtime keeps one
 * for every upload it runs). A connection lost during one upload marks the link lossy for
 * `lossMemoryMs`: an upload that starts meanwhile is paced from its first byte, at the rate the last
 * upload measured, instead of paying its first reset at full speed. A link that drops connections once
 * tends to drop them again (a satellite hand-over, a flaky wifi); one upload's lesson serves the next.
 *
 * One history is one link: uploads to several servers over the same uplink may share it (the rate then
 * is the last one measured, to any of them), or keep one each.
 */
export class LinkHistory {
  private lostAtMs: number | undefined;
  private rate: number | undefined;
  private readonly clock: Clock;
  private readonly lossMemoryMs: number;

  constructor(options: { clock?: Clock; lossMemoryMs?: number } = {}) {
    this.clock = options.clock ?? realClock;
    this.lossMemoryMs = requireNumber(
      'LinkHistory',
      'lossMemoryMs',
      options.lossMemoryMs ?? DEFAULT_LOSS_MEMORY_MS,
      0,
    );
  }

  /** A connection was lost mid-transfer (a reset, a stall). */
  noteLostConnection(): void {
    this.lostAtMs = this.clock.now();
  }

  /** The rate a transfer was last paced at (bytes per second). */
  noteDeliveryRate(bytesPerSecond: number): void {
    if (Number.isFinite(bytesPerSecond) && bytesPerSecond > 0) this.rate = bytesPerSecond;
  }

  /** A connection was lost within the last `lossMemoryMs`. */
  get lossIsRecent(): boolean {
    return this.lostAtMs !== undefined && this.clock.now() - this.lostAtMs <= this.lossMemoryMs;
  }

  /** The rate last measured, if any. */
  get deliveryRate(): number | undefined {
    return this.rate;
  }
}
