/**
 * Time, injected. Every wait in lifeline goes through a `Clock`, so tests run on `FakeClock`
 * deterministically and instantly.
 */

export interface Timer {
  cancel(): void;
  /** Let the process exit while this timer is pending (Node); a no-op elsewhere. */
  unref(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Milliseconds with sub-millisecond precision, for measuring short spans (a 4 MiB PATCH can take
   * 15 ms: a whole-millisecond clock would be 7% off). Only differences mean anything. Default `now()`.
   */
  preciseNow?(): number;
  /** Calls `callback` after `delayMs`. */
  setTimer(callback: () => void, delayMs: number): Timer;
  /** Resolves after `delayMs`; rejects with the signal's reason as soon as it aborts. */
  sleep(delayMs: number, signal?: AbortSignal): Promise<void>;
}

/** Sleep built on any clock's timers: cancellable, and it does not leak a listener after it ends. */
export function sleepWith(
  clock: Pick<Clock, 'setTimer'>,
  delayMs: number,
  signal?: AbortSignal,
): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      timer.cancel();
      reject(signal?.reason);
    };
    const timer = clock.setTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, delayMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

class RealTimer implements Timer {
  constructor(private readonly handle: ReturnType<typeof setTimeout>) {}
  cancel(): void {
    clearTimeout(this.handle);
  }
  unref(): void {
    const handle = this.handle as { unref?: () => void };
    handle.unref?.();
  }
}

/** The wall clock and the platform's timers. */
export const realClock: Clock = {
  now: () => Date.now(),
  preciseNow: () => performance.now(),
  setTimer: (callback, delayMs) => new RealTimer(setTimeout(callback, Math.max(0, delayMs))),
  sleep(delayMs, signal) {
    return sleepWith(realClock, delayMs, signal);
  },
};
