import { describe, expect, it } from 'vitest';
import { FakeClock, TimeoutError } from '../../../src/index.js';
import { QualityMonitor } from '../../../src/network/index.js';
import { permanentError, transientError } from '../../helpers.js';
import { setup } from './support.js';

describe('ConnectivityMonitor: real traffic and quality', () => {
  it('reportSuccess brings an offline link online at once and returns to the online interval', async () => {
    const clock = new FakeClock();
    const quality = new QualityMonitor({ clock });
    const { script, monitor, changes } = setup({ ok: false }, { quality, clock });
    monitor.start();
    await clock.advance(2000);
    expect(script.times).toEqual([0, 1000]);
    monitor.reportSuccess(80);
    expect(monitor.state).toBe('online');
    expect(changes.at(-1)).toEqual({
      from: 'offline',
      to: 'online',
      atMs: 2000,
      reason: 'a request succeeded',
    });
    expect(quality.snapshot()).toMatchObject({ latencyMs: 80, linkState: 'online' });
    // No more backoff probes: the next one is an interval away.
    await clock.advance(29_999);
    expect(script.times).toEqual([0, 1000]);
    await clock.advance(1);
    expect(script.times).toEqual([0, 1000, 32_000]);
    await monitor.stop();
  });

  it('successful traffic pushes the next interval probe back', async () => {
    const { clock, script, monitor } = setup();
    monitor.start();
    await clock.advance(20_000);
    monitor.reportSuccess();
    await clock.advance(29_999);
    expect(script.times).toEqual([0]);
    await clock.advance(1);
    expect(script.times).toEqual([0, 50_000]);
    await monitor.stop();
  });

  it('reportFailure with a connection error probes at once and notices the outage in about a second', async () => {
    const { clock, script, monitor, probes } = setup();
    monitor.start();
    await clock.advance(10_000);
    script.set({ ok: false });
    expect(monitor.reportFailure(transientError())).toBe(true);
    await clock.settle();
    expect(script.times).toEqual([0, 10_000]);
    expect(probes.at(-1)).toMatchObject({ ok: false, trigger: 'traffic' });
    await clock.advance(1000);
    expect(monitor.state).toBe('offline');
    expect(clock.now()).toBe(11_000);
    await monitor.stop();
  });

  it('reportFailure ignores failures that say nothing about the link', async () => {
    const { clock, script, monitor } = setup();
    monitor.start();
    await clock.advance(10_000);
    expect(monitor.reportFailure(permanentError())).toBe(false);
    expect(monitor.reportFailure(new Response(null, { status: 503 }))).toBe(false);
    expect(monitor.reportFailure(new TimeoutError(1000))).toBe(false);
    expect(monitor.reportFailure(new Error('bug'))).toBe(false);
    await clock.settle();
    expect(script.times).toEqual([0]);
    await monitor.stop();
  });

  it('reportFailure probes at most once per minProbeGapMs, deferring rather than dropping', async () => {
    const { clock, script, monitor } = setup({ ok: true }, { minProbeGapMs: 1000 });
    monitor.start();
    await clock.advance(400);
    monitor.reportFailure(transientError());
    monitor.reportFailure(transientError());
    await clock.settle();
    expect(script.times).toEqual([0]);
    await clock.advance(600);
    expect(script.times).toEqual([0, 1000]);
    await monitor.stop();
  });

  it('reportFailure while offline keeps the backoff: it probes no sooner', async () => {
    const { clock, script, monitor } = setup({ ok: false });
    monitor.start();
    await clock.advance(1500);
    monitor.reportFailure(transientError());
    await clock.advance(1000);
    expect(script.times).toEqual([0, 1000]);
    await monitor.stop();
  });

  it("a refused connection probes but is no lost sample: one dead server does not lower the link's quality", async () => {
    const clock = new FakeClock();
    const quality = new QualityMonitor({ clock });
    const { script, monitor } = setup({ ok: true, latencyMs: 20 }, { quality, clock });
    monitor.start();
    await clock.advance(10_000);
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8818'), { code: 'ECONNREFUSED' });
    expect(monitor.reportFailure(refused)).toBe(true);
    await clock.settle();
    expect(script.times).toEqual([0, 10_000]); // it still asks the link
    expect(quality.snapshot().lossRate).toBe(0);
    monitor.reportFailure(transientError()); // a reset is: it may be the path's
    expect(quality.snapshot().lossRate).toBeGreaterThan(0);
    await monitor.stop();
  });

  it('feeds probe samples and the link state to the quality monitor', async () => {
    const clock = new FakeClock();
    const quality = new QualityMonitor({ clock });
    const { script, monitor } = setup({ ok: true, latencyMs: 40 }, { quality, clock });
    monitor.start();
    await clock.advance(40);
    expect(quality.snapshot()).toMatchObject({ sampleCount: 1, latencyMs: 40, linkState: 'online' });
    script.set({ ok: false });
    await clock.advance(30_000);
    await clock.advance(1000);
    expect(monitor.state).toBe('offline');
    expect(quality.level).toBe('offline');
    // Next probe after offlineBackoff(2) = 2 s: the recommendation says so.
    await clock.advance(500);
    expect(quality.recommendations().transfer).toMatchObject({ startNow: false, waitMs: 1500 });
    expect(quality.snapshot().lossRate).toBe(0); // the failures that led into the outage are the outage
    await monitor.stop();
  });
});
