import { type Clock, sleepWith, type Timer } from './clock.js';

interface PendingTimer {
  id: number;
  dueMs: number;
  callback: () => void;
}

/** Lets promise continuations (and the microtasks they queue) run before the next timer fires. */
const flush: () => Promise<void> =
  typeof globalThis.setImmediate === 'function'
    ? () => new Promise((resolve) => globalThis.setImmediate(resolve))
    : () => new Promise((resolve) => setTimeout(resolve, 0));

const RUN_ALL_LIMIT = 100_000;

/**
 * A clock that moves only when told to. `advance(ms)` fires every timer due in that span, in order,
 * letting promise chains settle between timers, so async code behaves as it would in real time.
 */
export class FakeClock implements Clock {
  private nowMs: number;
  private nextId = 1;
  private timers: PendingTimer[] = [];

  constructor(startMs = 0) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setTimer(callback: () => void, delayMs: number): Timer {
    const timer: PendingTimer = { id: this.nextId++, dueMs: this.nowMs + Math.max(0, delayMs), callback };
    this.timers.push(timer);
    return {
      cancel: () => {
        this.timers = this.timers.filter((pending) => pending !== timer);
      },
      unref: () => {},
    };
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, delayMs, signal);
  }

  /** Number of timers waiting to fire. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing due timers in order and letting async work settle in between. */
  async advance(ms: number): Promise<void> {
    const targetMs = this.nowMs + ms;
    await flush();
    for (;;) {
      const next = this.earliest();
      if (!next || next.dueMs > targetMs) break;
      this.fire(next);
      await flush();
    }
    this.nowMs = targetMs;
    await flush();
  }

  /** Fires timers until none is left (including timers they set). Throws if timers keep rescheduling. */
  async runAll(): Promise<void> {
    await flush();
    for (let fired = 0; ; fired++) {
      const next = this.earliest();
      if (!next) return;
      if (fired >= RUN_ALL_LIMIT) {
        throw new Error(`FakeClock.runAll: still ${this.timers.length} timers after ${RUN_ALL_LIMIT} fired`);
      }
      this.fire(next);
      await flush();
    }
  }

  /** Lets pending promise continuations run without moving time. */
  settle(): Promise<void> {
    return flush();
  }

  private earliest(): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const timer of this.timers) {
      if (!best || timer.dueMs < best.dueMs || (timer.dueMs === best.dueMs && timer.id < best.id))
        best = timer;
    }
    return best;
  }

  private fire(timer: PendingTimer): void {
    this.timers = this.timers.filter((pending) => pending !== timer);
    this.nowMs = Math.max(this.nowMs, timer.dueMs);
    timer.callback();
  }
}
