import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/index.js';
import { ProgressMeter } from '../../../src/transfer/progress-meter.js';

const KB = 1024;

describe('ProgressMeter', () => {
  it('estimates the time left from what is still to send, so the ETA shrinks within one unacknowledged chunk', async () => {
    const clock = new FakeClock();
    const meter = new ProgressMeter(clock, 1000 * KB);
    const etas: number[] = [];
    // 100 KB a second, all inside one PATCH: nothing acknowledged until the end.
    for (let second = 1; second <= 10; second++) {
      await clock.advance(1000);
      const event = meter.next(second * 100 * KB, 0, second * 100 * KB, false);
      etas.push(event?.etaMs as number);
    }
    for (let i = 1; i < etas.length; i++) expect(etas[i]).toBeLessThan(etas[i - 1] as number);
    expect(etas[0]).toBeCloseTo(9000, -2); // 900 KB left at 100 KB/s
    expect(etas.at(-1)).toBe(0); // all sent: only the server's answer is left
  });

  it('reports at most four times a second unless forced, and gives no ETA before any rate is known', async () => {
    const clock = new FakeClock();
    const meter = new ProgressMeter(clock, 100 * KB);
    expect(meter.next(0, 0, 0, true)?.etaMs).toBeUndefined();
    await clock.advance(100);
    expect(meter.next(10 * KB, 0, 10 * KB, false)).toBeUndefined();
    expect(meter.next(10 * KB, 0, 10 * KB, true)?.bytesSent).toBe(10 * KB);
  });

  it('after a restart, measures the rate from then, not across the wait before it', async () => {
    const clock = new FakeClock();
    const meter = new ProgressMeter(clock, 10_000 * KB);
    for (let tick = 1; tick <= 4; tick++) {
      await clock.advance(250);
      meter.next(tick * 250 * KB, 0, tick * 250 * KB, false); // 1000 KB/s
    }
    await clock.advance(10_000); // the link was down
    meter.restart(1000 * KB);
    await clock.advance(250);
    const event = meter.next(1250 * KB, 0, 1250 * KB, false);
    expect(event?.bytesPerSecond).toBeCloseTo(1000 * KB, -3); // not ~25 KB/s
  });

  it('counts the rate from the first slice, which leaves at once, not from the start', async () => {
    const clock = new FakeClock();
    const meter = new ProgressMeter(clock, 10_000 * KB);
    // Under a 256 KB/s limit, 64 KB slices: the first goes at once, each next one 250 ms later.
    await clock.advance(1);
    meter.next(64 * KB, 0, 64 * KB, false);
    await clock.advance(250);
    const first = meter.next(128 * KB, 0, 128 * KB, false);
    expect(first?.bytesPerSecond).toBeCloseTo(256 * KB, -3); // counted from the start: 510 KB/s
  });
});
