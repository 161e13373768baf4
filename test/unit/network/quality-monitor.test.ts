import { describe, expect, it } from 'vitest';
import { FakeClock, InvalidOptionError } from '../../../src/index.js';
import {
  type LevelChange,
  QualityMonitor,
  type QualityMonitorOptions,
  type ScoreChange,
} from '../../../src/network/index.js';

function monitor(options: QualityMonitorOptions = {}) {
  const clock = new FakeClock();
  return { clock, quality: new QualityMonitor({ clock, ...options }) };
}

/** `failures` failed samples among `total`, failures first, every success with `latencyMs`. */
function feed(quality: QualityMonitor, total: number, failures: number, latencyMs: number) {
  for (let i = 0; i < failures; i++) quality.record({ ok: false });
  for (let i = failures; i < total; i++) quality.record({ ok: true, latencyMs });
}

/** Level after one sample of `latencyMs` (no smoothing) and `failures` losses in 100 samples. */
function levelAt(latencyMs: number, failures = 0) {
  const { quality } = monitor({ latencySmoothing: 1 });
  feed(quality, 100, failures, latencyMs);
  return quality.level;
}

describe('QualityMonitor: levels', () => {
  it('is unknown before the first sample', () => {
    const { quality } = monitor();
    expect(quality.level).toBe('unknown');
    expect(quality.snapshot()).toMatchObject({
      level: 'unknown',
      score: 0,
      sampleCount: 0,
      latencyMs: undefined,
    });
  });

  it('latency thresholds are exclusive: <50 excellent, <150 good, <300 fair, else poor', () => {
    expect(levelAt(49)).toBe('excellent');
    expect(levelAt(50)).toBe('good');
    expect(levelAt(149)).toBe('good');
    expect(levelAt(150)).toBe('fair');
    expect(levelAt(299)).toBe('fair');
    expect(levelAt(300)).toBe('poor');
    expect(levelAt(5000)).toBe('poor');
  });

  it('loss thresholds are exclusive: <1% excellent, <2% good, <5% fair, ≤10% poor, >10% offline', () => {
    expect(levelAt(10, 0)).toBe('excellent');
    expect(levelAt(10, 1)).toBe('good');
    expect(levelAt(10, 2)).toBe('fair');
    expect(levelAt(10, 4)).toBe('fair');
    expect(levelAt(10, 5)).toBe('poor');
    expect(levelAt(10, 10)).toBe('poor');
    expect(levelAt(10, 11)).toBe('offline');
  });

  it('takes the worse of latency and loss', () => {
    expect(levelAt(10, 3)).toBe('fair');
    expect(levelAt(200, 0)).toBe('fair');
    expect(levelAt(100, 1)).toBe('good');
  });

  it('judges on loss alone when no sample carried a latency', () => {
    const { quality } = monitor();
    quality.record({ ok: true });
    expect(quality.level).toBe('excellent');
    expect(quality.snapshot().latencyMs).toBeUndefined();
  });

  it('is offline whenever the link is, and recomputed when it comes back', () => {
    const { quality } = monitor();
    feed(quality, 10, 0, 20);
    quality.setLinkState('offline');
    expect(quality.level).toBe('offline');
    quality.setLinkState('online');
    expect(quality.level).toBe('excellent');
  });

  it('emits level changes with the measurements behind them', () => {
    const { quality } = monitor({ latencySmoothing: 1 });
    const changes: LevelChange[] = [];
    quality.on('level', (change) => changes.push(change));
    quality.record({ ok: true, latencyMs: 20, atMs: 5 });
    quality.record({ ok: true, latencyMs: 200, atMs: 6 });
    quality.setLinkState('offline');
    expect(changes).toEqual([
      { from: 'unknown', to: 'excellent', atMs: 5, reason: 'latency 20ms, loss 0.0%' },
      { from: 'excellent', to: 'fair', atMs: 6, reason: 'latency 200ms, loss 0.0%' },
      { from: 'fair', to: 'offline', atMs: 0, reason: 'link offline' },
    ]);
  });
});

describe('QualityMonitor: measurements', () => {
  it('smooths latency with an EWMA (default 1/8) and jitter as an EWMA of |Δlatency| (default 1/16)', () => {
    const { quality } = monitor();
    quality.record({ ok: true, latencyMs: 100 });
    expect(quality.snapshot()).toMatchObject({ latencyMs: 100, jitterMs: undefined });
    quality.record({ ok: true, latencyMs: 200 });
    expect(quality.snapshot()).toMatchObject({ latencyMs: 112.5, jitterMs: 100 });
    quality.record({ ok: true, latencyMs: 150 });
    // latency 112.5 + (150 − 112.5) / 8; jitter 100 + (50 − 100) / 16
    expect(quality.snapshot()).toMatchObject({ latencyMs: 117.1875, jitterMs: 96.875 });
  });

  it('ignores the latency of failed samples and latencies that are not finite numbers ≥ 0', () => {
    const { quality } = monitor();
    quality.record({ ok: true, latencyMs: 40 });
    quality.record({ ok: false, latencyMs: 5000 });
    quality.record({ ok: true, latencyMs: Number.NaN });
    quality.record({ ok: true, latencyMs: -3 });
    expect(quality.snapshot()).toMatchObject({ latencyMs: 40, sampleCount: 4 });
  });

  it('measures loss and uptime over the last windowSize samples', () => {
    const { quality } = monitor({ windowSize: 10 });
    feed(quality, 10, 2, 20);
    expect(quality.snapshot()).toMatchObject({ lossRate: 0.2, uptime: 0.8, windowSamples: 10 });
    feed(quality, 2, 0, 20);
    expect(quality.snapshot()).toMatchObject({ lossRate: 0, uptime: 1, windowSamples: 10, sampleCount: 12 });
  });

  it('counts an outage against uptime, not loss: the link is judged on how it behaves when up', () => {
    const { quality } = monitor({ windowSize: 100 });
    feed(quality, 50, 0, 20);
    quality.record({ ok: false }); // the failures that led into the outage…
    quality.record({ ok: false });
    quality.setLinkState('offline'); // …are part of it
    for (let i = 0; i < 20; i++) quality.record({ ok: false });
    quality.setLinkState('online');
    quality.record({ ok: true, latencyMs: 20 });
    expect(quality.snapshot()).toMatchObject({ lossRate: 0, uptime: 51 / 73 });
    expect(quality.level).toBe('excellent');
  });

  it('an isolated failure on a working link is loss', () => {
    const { quality } = monitor();
    feed(quality, 50, 0, 20);
    quality.setLinkState('online');
    quality.record({ ok: false });
    feed(quality, 49, 0, 20);
    expect(quality.snapshot().lossRate).toBe(0.01);
    expect(quality.level).toBe('good');
  });

  it('reset() forgets every sample', () => {
    const { quality } = monitor();
    feed(quality, 10, 5, 400);
    quality.reset();
    expect(quality.snapshot()).toMatchObject({ level: 'unknown', sampleCount: 0, lossRate: 0, score: 0 });
  });
});

describe('QualityMonitor: score', () => {
  it('is 0.6 × uptime + 0.3 × stability (saturating at 10 successes) + 0.1 × online', () => {
    const { quality } = monitor();
    quality.record({ ok: true });
    expect(quality.score).toBeCloseTo(0.6 + 0.03 + 0.1, 10);
    feed(quality, 9, 0, 20);
    expect(quality.score).toBeCloseTo(1, 10);
    feed(quality, 20, 0, 20);
    expect(quality.score).toBeCloseTo(1, 10);
    quality.record({ ok: false });
    // uptime 30/31, no stability, last sample failed
    expect(quality.score).toBeCloseTo(0.6 * (30 / 31), 10);
    quality.record({ ok: true });
    expect(quality.score).toBeCloseTo(0.6 * (31 / 32) + 0.03 + 0.1, 10);
  });

  it('uses the link state for "currently online" when it is known', () => {
    const { quality } = monitor();
    feed(quality, 10, 0, 20);
    quality.setLinkState('offline');
    expect(quality.score).toBeCloseTo(0.9, 10);
    quality.setLinkState('online');
    expect(quality.score).toBeCloseTo(1, 10);
  });

  it('emits score changes once they move by scoreStep', () => {
    const { quality } = monitor({ scoreStep: 0.1 });
    const changes: ScoreChange[] = [];
    quality.on('score', (change) => changes.push(change));
    quality.record({ ok: true }); // 0 → 0.73
    quality.record({ ok: true }); // 0.76: too small a move
    quality.record({ ok: true }); // 0.79
    quality.record({ ok: true }); // 0.82: 0.09 since the last event — still quiet
    quality.record({ ok: true }); // 0.85
    expect(changes.map(({ from, to }) => [from, Number(to.toFixed(2))])).toEqual([
      [0, 0.73],
      [changes[0]?.to, 0.85],
    ]);
  });
});

describe('QualityMonitor: recommendations', () => {
  const at = (latencyMs: number, failures = 0, options: QualityMonitorOptions = {}) => {
    const { quality } = monitor({ latencySmoothing: 1, ...options });
    feed(quality, 100, failures, latencyMs);
    return quality.recommendations();
  };

  it('starts at once with no measurements, cautiously', () => {
    expect(monitor().quality.recommendations()).toEqual({
      transfer: { startNow: true, reason: 'no measurements yet' },
      batchSize: 25,
      concurrency: 2,
    });
  });

  it('shrinks batch size and concurrency as quality drops: 8/100, 4/50, 2/25, 1/12', () => {
    expect(at(20)).toMatchObject({ transfer: { startNow: true }, concurrency: 8, batchSize: 100 });
    expect(at(100)).toMatchObject({ transfer: { startNow: true }, concurrency: 4, batchSize: 50 });
    expect(at(200)).toMatchObject({ transfer: { startNow: true }, concurrency: 2, batchSize: 25 });
    expect(at(600)).toMatchObject({ concurrency: 1, batchSize: 12 });
    expect(at(20).transfer.reason).toBe('excellent link (latency 20ms, loss 0.0%)');
  });

  it('answers concurrency() alone with the same figure as its recommendations, at every level', () => {
    for (const latencyMs of [20, 100, 200, 600]) {
      const { quality } = monitor({ latencySmoothing: 1, maxConcurrency: 16 });
      feed(quality, 100, 0, latencyMs);
      expect(quality.concurrency()).toBe(quality.recommendations().concurrency);
    }
    expect(monitor().quality.concurrency()).toBe(2);
    expect(at(20, 0, { maxConcurrency: 16 }).concurrency).toBe(16);
  });

  it('respects maxConcurrency and maxBatchSize, never going below 1', () => {
    const bounds = { maxConcurrency: 4, maxBatchSize: 10 };
    expect(at(20, 0, bounds)).toMatchObject({ concurrency: 4, batchSize: 10 });
    expect(at(100, 0, bounds)).toMatchObject({ concurrency: 2, batchSize: 5 });
    expect(at(200, 0, bounds)).toMatchObject({ concurrency: 1, batchSize: 2 });
    expect(at(600, 0, bounds)).toMatchObject({ concurrency: 1, batchSize: 1 });
  });

  it('a slow but clean link (a satellite hop) still starts, one at a time', () => {
    const advice = at(620);
    expect(advice.transfer).toEqual({
      startNow: true,
      reason: 'latency 620ms, loss 0.0%: latency is high but loss is low; start with small batches',
    });
  });

  it('waits recheckMs when loss reaches 5%, saying why', () => {
    expect(at(20, 4).transfer.startNow).toBe(true);
    expect(at(20, 5).transfer).toEqual({
      startNow: false,
      waitMs: 30_000,
      reason: 'loss 5.0% over the last 100 samples is too high for a large transfer; check again in 30.0s',
    });
    expect(at(20, 20, { recheckMs: 10_000 }).transfer).toMatchObject({ startNow: false, waitMs: 10_000 });
  });

  it('waits for the next probe while the link is offline, counting down on the clock', async () => {
    const { clock, quality } = monitor();
    feed(quality, 10, 0, 20);
    quality.setLinkState('offline', 4000);
    expect(quality.recommendations()).toEqual({
      transfer: {
        startNow: false,
        waitMs: 4000,
        reason: 'link offline; next probe in 4.0s',
      },
      batchSize: 12,
      concurrency: 1,
    });
    await clock.advance(3000);
    expect(quality.recommendations().transfer.waitMs).toBe(1000);
    await clock.advance(5000);
    expect(quality.recommendations().transfer.waitMs).toBe(0);
    quality.setLinkState('offline');
    expect(quality.recommendations().transfer).toMatchObject({ startNow: false, waitMs: 30_000 });
  });
});

describe('QualityMonitor: options', () => {
  it('refuses bad options, naming them', () => {
    expect(() => new QualityMonitor({ windowSize: 0 })).toThrow(InvalidOptionError);
    expect(() => new QualityMonitor({ windowSize: 0 })).toThrow(/windowSize must be an integer ≥ 1/);
    expect(() => new QualityMonitor({ latencySmoothing: 2 })).toThrow(/latencySmoothing/);
    expect(() => new QualityMonitor({ maxConcurrency: 0 })).toThrow(/maxConcurrency/);
    expect(() => new QualityMonitor({ recheckMs: -1 })).toThrow(/recheckMs/);
  });
});
