import { describe, expect, it } from 'vitest';
import { FakeClock, TimeoutError } from '../../../src/index.js';
import { ConnectivityMonitor, type Probe } from '../../../src/network/index.js';
import { track } from '../../helpers.js';
import { setup } from './support.js';

describe('ConnectivityMonitor: waitForOnline', () => {
  it('resolves at once when online', async () => {
    const { clock, monitor } = setup();
    await monitor.check();
    const waiting = track(monitor.waitForOnline({ maxWaitMs: 1000 }));
    await clock.settle();
    expect(waiting.settled).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('resolves when the link comes back, leaving no timer or listener behind', async () => {
    const { clock, script, monitor } = setup({ ok: false });
    monitor.start();
    await clock.settle();
    const waiting = track(monitor.waitForOnline({ maxWaitMs: 60_000 }));
    script.set({ ok: true });
    await clock.advance(999);
    expect(waiting.settled).toBe(false);
    await clock.advance(1);
    expect(waiting).toEqual({ settled: true, value: undefined });
    await monitor.stop();
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects with a TimeoutError (TIMEOUT) after maxWaitMs, saying the link stayed offline', async () => {
    const { clock, monitor } = setup({ ok: false });
    monitor.start();
    await clock.settle();
    const baseline = clock.pendingTimers;
    const waiting = track(monitor.waitForOnline({ maxWaitMs: 5000 }));
    expect(clock.pendingTimers).toBe(baseline + 1);
    await clock.advance(5000);
    expect(waiting.error).toBeInstanceOf(TimeoutError);
    expect(waiting.error).toMatchObject({ code: 'TIMEOUT', timeoutMs: 5000 });
    expect((waiting.error as Error).message).toMatch(
      /^the link stayed offline for 5\.0s \(.*connection refused.*\); keep the work queued/,
    );
    expect(clock.pendingTimers).toBe(baseline);
    await monitor.stop();
  });

  it('says the monitor is stopped when nothing probes', async () => {
    const { clock, monitor } = setup();
    const waiting = track(monitor.waitForOnline({ maxWaitMs: 100 }));
    await clock.advance(100);
    expect((waiting.error as Error).message).toMatch(/no verdict on the link within 100ms; .*call start\(\)/);
  });

  it('rejects with the signal’s reason on abort, leaving no timer or listener', async () => {
    const clock = new FakeClock();
    const probe: Probe = async () => ({ ok: false });
    class Inspectable extends ConnectivityMonitor {
      get changeListeners(): boolean {
        return this.listening('change');
      }
    }
    const monitor = new Inspectable({ probe, clock });
    await monitor.check();
    const controller = new AbortController();
    const waiting = track(monitor.waitForOnline({ maxWaitMs: 60_000, signal: controller.signal }));
    expect(monitor.changeListeners).toBe(true);
    controller.abort(new Error('user left'));
    await clock.settle();
    expect(waiting.error).toEqual(new Error('user left'));
    expect(clock.pendingTimers).toBe(0);
    expect(monitor.changeListeners).toBe(false);
    await expect(monitor.waitForOnline({ signal: AbortSignal.abort(new Error('already')) })).rejects.toThrow(
      'already',
    );
  });

  it('keeps the process alive (ref’d timers) only while someone waits', async () => {
    const clock = new FakeClock();
    const unrefd: boolean[] = [];
    const recording = Object.assign(Object.create(clock) as FakeClock, {
      setTimer(callback: () => void, delayMs: number) {
        const timer = clock.setTimer(callback, delayMs);
        const index = unrefd.push(false) - 1;
        return {
          cancel: () => timer.cancel(),
          unref: () => {
            unrefd[index] = true;
          },
        };
      },
    });
    const monitor = new ConnectivityMonitor({ probe: async () => ({ ok: false }), clock: recording });
    monitor.start();
    await clock.settle();
    expect(unrefd).toEqual([true, true]); // probe timeout, next probe
    const controller = new AbortController();
    const waiting = track(monitor.waitForOnline({ signal: controller.signal }));
    expect(unrefd.slice(2)).toEqual([false]); // the probe timer, re-armed ref'd
    controller.abort();
    await clock.settle();
    expect(unrefd.slice(3)).toEqual([true]);
    expect(waiting.settled).toBe(true);
    await monitor.stop();
  });
});
