import { describe, expect, it } from 'vitest';
import { FakeClock, RateLimitedError, rateLimit } from '../../../src/index.js';
import { track } from '../../helpers.js';

describe('rateLimit', () => {
  it('lets a burst through, then rejects with the time until the next token', async () => {
    const clock = new FakeClock();
    const policy = rateLimit({ callsPerSecond: 2, burst: 3, clock });
    for (let i = 0; i < 3; i++) await policy.execute(async () => i);
    const error = await policy.execute(async () => 'x').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 500 });
    await clock.advance(500);
    await expect(policy.execute(async () => 'after refill')).resolves.toBe('after refill');
  });

  it('holds a sustained rate when calls may wait, in arrival order', async () => {
    const clock = new FakeClock();
    const policy = rateLimit({ callsPerSecond: 10, burst: 1, maxWaitMs: 10_000, clock });
    const startedAt: number[] = [];
    const calls = Array.from({ length: 5 }, (_, i) =>
      track(policy.execute(async () => startedAt.push(clock.now()) && i)),
    );
    await clock.advance(1000);
    expect(startedAt).toEqual([0, 100, 200, 300, 400]);
    expect(calls.every((call) => call.settled)).toBe(true);
  });

  it('gives a cancelled wait its token back', async () => {
    const clock = new FakeClock();
    const policy = rateLimit({ callsPerSecond: 1, burst: 1, maxWaitMs: 5000, clock });
    await policy.execute(async () => 0);
    const controller = new AbortController();
    const waiting = track(policy.execute(async () => 1, { signal: controller.signal }));
    expect(policy.available).toBe(-1);
    controller.abort(new Error('stop'));
    await clock.settle();
    expect(waiting.error).toEqual(new Error('stop'));
    expect(policy.available).toBe(0);
  });
});
