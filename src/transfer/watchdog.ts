import type { Clock, Timer } from '../core/clock.js';

/**
 * Fires when nothing has happened for `idleMs`: `touch()` on every sign of progress costs a clock read,
 * not a timer; one timer is re-armed only when it fires early.
 */
export class Watchdog {
  private lastProgressMs: number;
  private timer: Timer | undefined;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly idleMs: number,
    private readonly onIdle: () => void,
  ) {
    this.lastProgressMs = clock.now();
    this.arm(idleMs);
  }

  touch(): void {
    this.lastProgressMs = this.clock.now();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  private arm(delayMs: number): void {
    this.timer = this.clock.setTimer(() => {
      if (this.stopped) return;
      const idleForMs = this.clock.now() - this.lastProgressMs;
      if (idleForMs >= this.idleMs) this.onIdle();
      else this.arm(this.idleMs - idleForMs);
    }, delayMs);
  }
}
