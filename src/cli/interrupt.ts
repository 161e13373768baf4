import { realClock } from '../core/clock.js';

/**
 * Ctrl-C (SIGINT) and SIGTERM for long-running commands. `interruption()` gives a signal that aborts on
 * the first of them, and `dispose()` removes the process listeners once the command is done (a command
 * run in-process, as the tests run them, must not leave listeners behind).
 */
export function interruption(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const stop = () => {
    dispose();
    // The listeners are gone: a second Ctrl-C is Node's own, which ends the process at once. Say so to a
    // person waiting at a terminal (what that leaves undone is taken back by the next run, never lost).
    if (process.stderr.isTTY) process.stderr.write('stopping… (Ctrl-C again quits at once)\n');
    controller.abort(new Error('interrupted'));
  };
  const dispose = () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return { signal: controller.signal, dispose };
}

/** Resolves on the first Ctrl-C (SIGINT) or SIGTERM, so a command that runs until stopped can stop cleanly. */
export function untilInterrupted(): Promise<void> {
  const { signal } = interruption();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Waits `ms` (nothing if ≤ 0), or less if `signal` aborts; never rejects. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return realClock.sleep(Math.max(0, ms), signal).catch(() => {});
}
