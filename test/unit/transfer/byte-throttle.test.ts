import { describe, expect, it } from 'vitest';
import { ByteThrottle, FakeClock } from '../../../src/index.js';

describe('ByteThrottle', () => {
  it('lets bytes through at its rate, in arrival order', async () => {
    const clock = new FakeClock(10_000);
    const throttle = new ByteThrottle({ bytesPerSecond: 1000, clock });
    const doneAt: Array<[string, number]> = [];
    const take = (name: string, bytes: number) =>
      Promise.resolve(throttle.take(bytes)).then(() => doneAt.push([name, clock.now() - 10_000]));
    const all = Promise.all([take('a', 500), take('b', 500), take('c', 500)]);
    await clock.runAll();
    await all;
    // the first goes at once (with 50 ms of burst credit), then one every 500 ms
    expect(doneAt).toEqual([
      ['a', 0],
      ['b', 450],
      ['c', 950],
    ]);
  });

  it('changes rate while running, and no limit means no waiting', async () => {
    const clock = new FakeClock(10_000);
    const throttle = new ByteThrottle({ bytesPerSecond: 100, clock });
    await throttle.take(100);
    throttle.setRate(undefined);
    expect(throttle.take(1_000_000)).toBeUndefined(); // nothing to wait for: no promise at all
    throttle.setRate(10_000);
    await throttle.take(100);
    const next = throttle.take(10_000);
    if (!next) throw new Error('10,000 bytes at 10,000 B/s after a take must wait');
    let done = false;
    void next.then(() => {
      done = true;
    });
    await clock.advance(5);
    expect(done).toBe(false);
    await clock.advance(20);
    expect(done).toBe(true);
    expect(() => throttle.setRate(0)).toThrow(/bytesPerSecond must be a number ≥ 1/);
  });

  it('a wait can be cancelled', async () => {
    const clock = new FakeClock(10_000);
    const throttle = new ByteThrottle({ bytesPerSecond: 10, clock });
    await throttle.take(10);
    const controller = new AbortController();
    const waiting = throttle.take(10, controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
  });
});
