import type { Clock, Timer } from '../core/clock.js';

/** An entry in a DeadlineQueue: the queue links entries through these fields, so adding allocates nothing. */
export interface Deadline {
  /** 0 until the queue's timer stamps it. */
  deadlineMs: number;
  previous: Deadline | undefined;
  next: Deadline | undefined;
  queued: boolean;
  /** Called once when the deadline passes while still queued. */
  expire(): void;
}

/** Deadlines are stamped at most this fraction of the duration late. */
const STAMP_FRACTION = 1 / 16;

/**
 * Deadlines that share one duration, kept as a FIFO with one timer — and no clock read per entry.
 *
 * Reading the clock and arming a timer both cost more than the fast call a timeout guards (on the
 * reference machine Date.now() ≈ 70 ns and setTimeout + clearTimeout ≈ 0.9 µs), so `add` and `remove` only
 * link and unlink. The timer, firing every `durationMs / 16` while entries wait, stamps the entries added
 * since its last firing with deadline = now + duration. An entry that arrives while others wait is stamped
 * at the first firing after it was added, so it expires between `durationMs` and `durationMs × 17/16`
 * after it started (plus any event-loop delay) — never early; one that arrives at an idle queue is stamped
 * exactly. A call that finishes before the next firing is never stamped at all.
 *
 * The timer is unref'd and stops when the queue is empty: a pending timeout never keeps a process alive.
 */
export class DeadlineQueue {
  private head: Deadline | undefined;
  private tail: Deadline | undefined;
  /** The newest entry that has a deadline; everything after it is unstamped. */
  private stampedUpTo: Deadline | undefined;
  private timer: Timer | undefined;
  private readonly stampIntervalMs: number;
  private readonly onTimer = () => this.tick();

  constructor(
    private readonly clock: Clock,
    private readonly durationMs: number,
  ) {
    this.stampIntervalMs = Math.max(1, durationMs * STAMP_FRACTION);
  }

  add(entry: Deadline): void {
    entry.deadlineMs = 0;
    entry.queued = true;
    entry.previous = this.tail;
    entry.next = undefined;
    if (this.tail) this.tail.next = entry;
    else this.head = entry;
    this.tail = entry;
    if (!this.timer) {
      // The queue was idle: arming a timer costs far more than a clock read, so stamp this one exactly.
      entry.deadlineMs = this.clock.now() + this.durationMs;
      this.stampedUpTo = entry;
      this.arm(this.stampIntervalMs);
    }
  }

  remove(entry: Deadline): void {
    if (!entry.queued) return;
    entry.queued = false;
    if (this.stampedUpTo === entry) this.stampedUpTo = entry.previous;
    if (entry.previous) entry.previous.next = entry.next;
    else this.head = entry.next;
    if (entry.next) entry.next.previous = entry.previous;
    else this.tail = entry.previous;
    entry.previous = undefined;
    entry.next = undefined;
  }

  private arm(delayMs: number): void {
    this.timer = this.clock.setTimer(this.onTimer, delayMs);
    this.timer.unref();
  }

  private tick(): void {
    this.timer = undefined;
    const nowMs = this.clock.now();
    // Stamp what arrived since the last tick.
    let entry = this.stampedUpTo ? this.stampedUpTo.next : this.head;
    for (; entry; entry = entry.next) {
      entry.deadlineMs = nowMs + this.durationMs;
      this.stampedUpTo = entry;
    }
    // Stop at an unstamped entry: expire() may add one (a retry starting its next attempt at once).
    while (this.head && this.head.deadlineMs !== 0 && this.head.deadlineMs <= nowMs) {
      const expired = this.head;
      this.remove(expired);
      expired.expire();
    }
    if (!this.head || this.timer) return;
    const untilHeadMs = this.head.deadlineMs === 0 ? this.stampIntervalMs : this.head.deadlineMs - nowMs;
    this.arm(Math.min(untilHeadMs, this.stampIntervalMs));
  }
}
