import { describe, expect, it } from 'vitest';
import { FakeClock, TimeoutError, timeout } from '../../../src/index.js';
import { deferred, track } from '../../helpers.js';

describe('timeout', () => {
  it('returns the value of a call that finishes in time', async () => {
    const clock = new FakeClock();
    const result = track(timeout(1000, { clock }).execute(() => clock.sleep(500).then(() => 'done')));
    await clock.advance(500);
    expect(result.value).toBe('done');
  });

  it('rejects at the deadline even if the function ignores its signal', async () => {
    const clock = new FakeClock();
    const never = deferred<string>();
    const result = track(timeout(1600, { clock }).execute(() => never.promise));
    await clock.advance(1599);
    expect(result.settled).toBe(false);
    await clock.advance(1);
    expect(result.error).toBeInstanceOf(TimeoutError);
    expect(result.error).toMatchObject({
      code: 'TIMEOUT',
      timeoutMs: 1600,
      message: 'call timed out after 1.6s',
    });
  });

  it('a call joining busy ones times out never early and at most 1/16 of the limit late', async () => {
    const clock = new FakeClock();
    const policy = timeout(1600, { clock });
    track(policy.execute(() => deferred().promise));
    await clock.advance(30);
    const joined = track(policy.execute(() => deferred().promise));
    await clock.advance(1599);
    expect(joined.settled).toBe(false);
    await clock.advance(100);
    expect(joined.error).toBeInstanceOf(TimeoutError);
  });

  it("aborts the function's signal at the deadline, with the timeout error", async () => {
    const clock = new FakeClock();
    let seen: AbortSignal | undefined;
    const result = track(
      timeout(100, { clock }).execute(({ signal }) => {
        seen = signal;
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      }),
    );
    await clock.advance(200);
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBeInstanceOf(TimeoutError);
    expect(result.error).toBe(seen?.reason);
  });

  it("ends at once when the caller's signal aborts, with the caller's reason", async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    let inner: AbortSignal | undefined;
    const result = track(
      timeout(10_000, { clock }).execute(
        ({ signal }) => {
          inner = signal;
          return deferred().promise;
        },
        { signal: controller.signal },
      ),
    );
    await clock.advance(10);
    controller.abort(new Error('cancelled by user'));
    await clock.settle();
    expect(result.error).toEqual(new Error('cancelled by user'));
    expect(inner?.aborted).toBe(true);
  });

  it('rejects at once for an already-aborted caller signal without calling the function', async () => {
    let called = false;
    const result = timeout(100, { clock: new FakeClock() }).execute(
      async () => {
        called = true;
      },
      { signal: AbortSignal.abort(new Error('too late')) },
    );
    await expect(result).rejects.toThrow('too late');
    expect(called).toBe(false);
  });

  it('leaves no timer behind once calls have finished', async () => {
    const clock = new FakeClock();
    const policy = timeout(1000, { clock });
    for (let i = 0; i < 100; i++) await policy.execute(async () => i);
    await clock.advance(2000);
    expect(clock.pendingTimers).toBe(0);
  });

  it('times out each of many concurrent calls, and only the slow ones', async () => {
    const clock = new FakeClock();
    const policy = timeout(1000, { clock });
    const calls = Array.from({ length: 20 }, (_, i) =>
      track(policy.execute(() => clock.sleep(i % 2 === 0 ? 500 : 5000).then(() => i))),
    );
    await clock.advance(1100);
    expect(calls.filter((call) => call.error instanceof TimeoutError)).toHaveLength(10);
    expect(calls.filter((call) => typeof call.value === 'number')).toHaveLength(10);
  });

  it('emits a timeout event', async () => {
    const clock = new FakeClock();
    const policy = timeout(50, { clock });
    const events: number[] = [];
    policy.on('timeout', (event) => events.push(event.timeoutMs));
    const result = track(policy.execute(() => deferred().promise));
    await clock.advance(100);
    expect(result.error).toBeInstanceOf(TimeoutError);
    expect(events).toEqual([50]);
  });

  it('refuses a missing or negative timeout', () => {
    expect(() => timeout(-5)).toThrow(/timeoutMs must be a number ≥ 0, got -5/);
    expect(() => timeout(Number.NaN)).toThrow(/timeoutMs/);
  });
});
