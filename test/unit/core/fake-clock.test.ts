import { describe, expect, it } from 'vitest';
import { FakeClock, realClock } from '../../../src/index.js';
import { track } from '../../helpers.js';

describe('FakeClock', () => {
  it('fires timers in due order as time advances, not before', async () => {
    const clock = new FakeClock(1000);
    const fired: string[] = [];
    clock.setTimer(() => fired.push('b'), 200);
    clock.setTimer(() => fired.push('a'), 100);
    clock.setTimer(() => fired.push('c'), 200);
    await clock.advance(99);
    expect(fired).toEqual([]);
    await clock.advance(1);
    expect(fired).toEqual(['a']);
    expect(clock.now()).toBe(1100);
    await clock.advance(100);
    expect(fired).toEqual(['a', 'b', 'c']);
  });

  it('lets async continuations run between timers', async () => {
    const clock = new FakeClock();
    const steps: number[] = [];
    const work = (async () => {
      await clock.sleep(10);
      steps.push(clock.now());
      await clock.sleep(10);
      steps.push(clock.now());
    })();
    await clock.advance(25);
    await work;
    expect(steps).toEqual([10, 20]);
  });

  it('cancels a timer', async () => {
    const clock = new FakeClock();
    let fired = false;
    clock
      .setTimer(() => {
        fired = true;
      }, 5)
      .cancel();
    await clock.advance(10);
    expect(fired).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects a sleep at once when its signal aborts, with the reason', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const sleeping = track(clock.sleep(1000, controller.signal));
    controller.abort(new Error('stop'));
    await clock.settle();
    expect(sleeping.error).toEqual(new Error('stop'));
    expect(clock.pendingTimers).toBe(0);
  });

  it('runAll runs chains of timers and refuses endless ones', async () => {
    const clock = new FakeClock();
    let count = 0;
    const again = () => {
      if (++count < 5) clock.setTimer(again, 10);
    };
    clock.setTimer(again, 10);
    await clock.runAll();
    expect(count).toBe(5);
    expect(clock.now()).toBe(50);

    const forever = () => clock.setTimer(forever, 1);
    forever();
    await expect(clock.runAll()).rejects.toThrow(/still 1 timers/);
  });
});

describe('realClock', () => {
  it('sleeps on real time and rejects an already-aborted signal at once', async () => {
    const started = Date.now();
    await realClock.sleep(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    await expect(realClock.sleep(10_000, AbortSignal.abort(new Error('no')))).rejects.toThrow('no');
  });
});
