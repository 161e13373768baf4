import { describe, expect, it } from 'vitest';
import { FakeClock, InvalidOptionError, TimeoutError } from '../../../src/index.js';
import {
  ConnectivityMonitor,
  type ConnectivityMonitorOptions,
  type Probe,
} from '../../../src/network/index.js';
import { deferred, track } from '../../helpers.js';
import { scriptedProbe, setup, transitions } from './support.js';

describe('ConnectivityMonitor: state and events', () => {
  it('is unknown until the first probe, which runs at once on start; a success makes it online', async () => {
    const { clock, script, monitor, changes } = setup({ ok: true, latencyMs: 40 });
    expect(monitor.state).toBe('unknown');
    monitor.start();
    expect(script.times).toEqual([0]);
    await clock.advance(40);
    expect(monitor.state).toBe('online');
    expect(changes).toEqual([{ from: 'unknown', to: 'online', atMs: 40, reason: 'probe succeeded in 40ms' }]);
    await monitor.stop();
  });

  it('from unknown, the first failed probe decides offline, with the classified reason', async () => {
    const { clock, monitor, changes, probes } = setup({ ok: false });
    monitor.start();
    await clock.settle();
    expect(monitor.state).toBe('offline');
    expect(changes).toEqual([
      { from: 'unknown', to: 'offline', atMs: 0, reason: 'probe failed: connection refused (10.0.0.1:443)' },
    ]);
    expect(probes[0]).toMatchObject({
      ok: false,
      trigger: 'start',
      reason: 'connection refused (10.0.0.1:443)',
    });
    await monitor.stop();
  });

  it('online needs failuresToOffline (default 2) failed probes in a row, the second one after a short backoff', async () => {
    const { clock, script, monitor, changes } = setup();
    monitor.start();
    await clock.settle();
    script.set({ ok: false });
    await clock.advance(30_000);
    expect(monitor.state).toBe('online');
    expect(monitor.snapshot().consecutiveFailures).toBe(1);
    // The confirming probe comes after offlineBackoff(1) = 1 s, not after another interval.
    await clock.advance(999);
    expect(script.times).toEqual([0, 30_000]);
    await clock.advance(1);
    expect(script.times).toEqual([0, 30_000, 31_000]);
    expect(monitor.state).toBe('offline');
    expect(changes.at(-1)).toMatchObject({
      from: 'online',
      to: 'offline',
      atMs: 31_000,
      reason: '2 probes failed in a row, last: connection refused (10.0.0.1:443)',
    });
    await monitor.stop();
  });

  it('one lost probe followed by a success is not an outage', async () => {
    const { clock, script, monitor, changes } = setup();
    monitor.start();
    await clock.settle();
    script.set({ ok: false });
    await clock.advance(30_000);
    script.set({ ok: true });
    await clock.advance(1000);
    expect(monitor.state).toBe('online');
    expect(transitions(changes)).toEqual(['unknown→online']);
    // Back to the normal interval after the confirming success.
    await clock.advance(30_000);
    expect(script.times).toEqual([0, 30_000, 31_000, 61_000]);
    await monitor.stop();
  });

  it('failuresToOffline: 1 declares offline on the first failed probe', async () => {
    const { clock, script, monitor } = setup({ ok: true }, { failuresToOffline: 1 });
    monitor.start();
    await clock.settle();
    script.set({ ok: false });
    await clock.advance(30_000);
    expect(monitor.state).toBe('offline');
    await monitor.stop();
  });

  it('a probe that throws counts as a failed probe', async () => {
    const { clock, monitor, changes } = setup('throw');
    monitor.start();
    await clock.settle();
    expect(monitor.state).toBe('offline');
    expect(changes[0]?.reason).toBe('probe failed: connection reset');
    await monitor.stop();
  });
});

describe('ConnectivityMonitor: probe schedule', () => {
  it('probes every intervalMs while online', async () => {
    const { clock, script, monitor } = setup();
    monitor.start();
    await clock.advance(90_000);
    expect(script.times).toEqual([0, 30_000, 60_000, 90_000]);
    await monitor.stop();
  });

  it('backs off between probes while offline, up to the backoff cap', async () => {
    const { clock, script, monitor } = setup({ ok: false });
    monitor.start();
    await clock.advance(40_000);
    expect(script.times).toEqual([0, 1000, 3000, 7000, 15_000, 23_000, 31_000, 39_000]);
    await monitor.stop();
  });

  it('the default backoff waits 0.5–1 s before the first offline re-probe (equal jitter)', async () => {
    const clock = new FakeClock();
    const script = scriptedProbe(clock, { ok: false });
    const monitor = new ConnectivityMonitor({ probe: script.probe, clock });
    monitor.start();
    await clock.advance(499);
    expect(script.times).toEqual([0]);
    await clock.advance(501);
    expect(script.times).toHaveLength(2);
    await monitor.stop();
  });

  it('recovers via a probe, then returns to the online interval', async () => {
    const { clock, script, monitor, changes } = setup({ ok: false });
    monitor.start();
    await clock.advance(3000);
    script.set({ ok: true });
    await clock.advance(4000); // probe at 7000
    expect(monitor.state).toBe('online');
    expect(changes.at(-1)).toMatchObject({ from: 'offline', to: 'online', atMs: 7000 });
    await clock.advance(30_000);
    expect(script.times).toEqual([0, 1000, 3000, 7000, 37_000]);
    await monitor.stop();
  });

  it('counts a probe that does not answer within probeTimeoutMs as failed, aborting its signal', async () => {
    const { clock, script, monitor, changes } = setup('hang', { probeTimeoutMs: 5000 });
    monitor.start();
    await clock.advance(4999);
    expect(monitor.state).toBe('unknown');
    await clock.advance(1);
    expect(monitor.state).toBe('offline');
    expect(changes[0]?.reason).toBe('probe failed: connectivity probe timed out after 5.0s');
    expect(script.signals[0]?.aborted).toBe(true);
    expect(script.signals[0]?.reason).toBeInstanceOf(TimeoutError);
    // Offline schedule continues from the timeout: next probe 1 s later.
    script.set({ ok: true });
    await clock.advance(1000);
    expect(script.times).toEqual([0, 6000]);
    expect(monitor.state).toBe('online');
    await monitor.stop();
  });

  it('never overlaps probes: check() during a probe joins it, and the timer does not start another', async () => {
    const clock = new FakeClock();
    const answers = [deferred<{ ok: boolean }>(), deferred<{ ok: boolean }>()];
    let calls = 0;
    const probe: Probe = () => (answers[calls++] as (typeof answers)[number]).promise;
    const monitor = new ConnectivityMonitor({ probe, clock, intervalMs: 1000, probeTimeoutMs: 60_000 });
    monitor.start();
    const checks = [track(monitor.check()), track(monitor.check())];
    await clock.advance(5000);
    expect(calls).toBe(1);
    expect(monitor.snapshot().probing).toBe(true);
    answers[0]?.resolve({ ok: true });
    await clock.settle();
    expect(checks.map((check) => check.value)).toEqual(['online', 'online']);
    expect(calls).toBe(1);
    await clock.advance(1000);
    expect(calls).toBe(2);
    await monitor.stop();
  });

  it('check() works while stopped and schedules nothing', async () => {
    const { clock, script, monitor } = setup({ ok: false });
    await expect(monitor.check()).resolves.toBe('offline');
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(60_000);
    expect(script.times).toEqual([0]);
  });

  it('stop() cancels the timer and aborts a running probe, whose verdict is then ignored', async () => {
    const { clock, script, monitor, changes } = setup();
    monitor.start();
    await clock.settle();
    expect(clock.pendingTimers).toBe(1);
    await monitor.stop();
    expect(clock.pendingTimers).toBe(0);

    script.set('hang');
    monitor.start();
    expect(clock.pendingTimers).toBe(1); // the probe's timeout
    await monitor[Symbol.asyncDispose]();
    expect(clock.pendingTimers).toBe(0);
    expect(script.signals[1]?.aborted).toBe(true);
    await clock.advance(120_000);
    expect(script.times).toEqual([0, 0]);
    expect(monitor.state).toBe('online');
    expect(transitions(changes)).toEqual(['unknown→online']);
  });

  it('start() after stop() during a probe probes again and keeps its schedule', async () => {
    const { clock, script, monitor } = setup({ ok: true, latencyMs: 100 });
    monitor.start();
    await monitor.stop();
    monitor.start();
    await clock.advance(100);
    expect(monitor.state).toBe('online');
    await clock.advance(30_000);
    expect(script.times).toEqual([0, 0, 30_100]);
    await monitor.stop();
  });
});

describe('ConnectivityMonitor: options', () => {
  it('refuses bad options, naming them', () => {
    const probe: Probe = async () => ({ ok: true });
    expect(() => new ConnectivityMonitor({} as ConnectivityMonitorOptions)).toThrow(InvalidOptionError);
    expect(() => new ConnectivityMonitor({ probe, intervalMs: 0 })).toThrow(
      /intervalMs must be a number ≥ 1/,
    );
    expect(() => new ConnectivityMonitor({ probe, failuresToOffline: 0.5 })).toThrow(/failuresToOffline/);
    expect(() => new ConnectivityMonitor({ probe, probeTimeoutMs: Number.NaN })).toThrow(/probeTimeoutMs/);
    const monitor = new ConnectivityMonitor({ probe });
    return expect(monitor.waitForOnline({ maxWaitMs: -1 })).rejects.toThrow(/maxWaitMs/);
  });
});
