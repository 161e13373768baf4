import type { Clock } from '../core/clock.js';
import type { UploadEvents } from './upload-events.js';

const EVERY_MS = 250;

/** Turns bytes sent into progress events a person can read: a smoothed rate and an ETA, four times a second. */
export class ProgressMeter {
  private last: { atMs: number; sent: number; bytesPerSecond: number };
  private measured = false;
  /**
   * The rate counts from the first bytes that go out, not from the start: those leave at once, as one
   * slice, before any limit paces the rest, and a first reading that counted them showed 326 KB/s under
   * a 256 KB/s limit.
   */
  private awaitingFirstBytes = true;

  constructor(
    private readonly clock: Clock,
    private readonly totalBytes: number,
  ) {
    this.last = { atMs: clock.now(), sent: 0, bytesPerSecond: 0 };
  }

  /**
   * Sending starts again after a wait (a retry's delay, the link down): the rate counts from now, or the
   * first reading after a 10 s outage would average the outage in (5 KB/s on a fast link).
   */
  restart(sent: number): void {
    this.last = { atMs: this.clock.now(), sent, bytesPerSecond: this.last.bytesPerSecond };
    this.measured = false;
    this.awaitingFirstBytes = true;
  }

  /** The event to emit now, or undefined when the last one was too recent (unless `force`). */
  next(
    sent: number,
    acknowledged: number,
    sentUpTo: number,
    force: boolean,
  ): Omit<UploadEvents['progress'], 'awaitingAnswer'> | undefined {
    const nowMs = this.clock.now();
    if (this.awaitingFirstBytes && sent > this.last.sent) {
      this.awaitingFirstBytes = false;
      // Bytes that went out at once: the rate starts from them. (A first call that comes late already
      // spans a real interval.)
      if (nowMs - this.last.atMs < EVERY_MS) this.last = { ...this.last, atMs: nowMs, sent };
    }
    const last = this.last;
    if (!force && nowMs - last.atMs < EVERY_MS) return undefined;
    const elapsedS = (nowMs - last.atMs) / 1000;
    const instant = elapsedS > 0 ? (sent - last.sent) / elapsedS : last.bytesPerSecond;
    const bytesPerSecond = this.measured ? 0.7 * last.bytesPerSecond + 0.3 * instant : instant;
    this.measured = this.measured || elapsedS > 0;
    this.last = { atMs: nowMs, sent, bytesPerSecond };
    // What is left to send, not to acknowledge: the server answers once per PATCH, so an ETA counted from
    // the acknowledged offset would grow through each chunk and still show seconds at 100% sent.
    const remaining = this.totalBytes - sentUpTo;
    return {
      bytesSent: sent,
      bytesAcknowledged: acknowledged,
      sentUpToBytes: sentUpTo,
      totalBytes: this.totalBytes,
      bytesPerSecond,
      // No estimate from a rate of nearly nothing: it would promise years.
      ...(bytesPerSecond >= 1 ? { etaMs: (remaining / bytesPerSecond) * 1000 } : {}),
    };
  }
}
