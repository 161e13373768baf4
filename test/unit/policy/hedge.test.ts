import { describe, expect, it } from 'vitest';
import { FakeClock, hedge } from '../../../src/index.js';
import { permanentError, track, transientError } from '../../helpers.js';

describe('hedge', () => {
  it('starts a second attempt after the delay; the first to succeed wins and the other is aborted', async () => {
    const clock = new FakeClock();
    const policy = hedge({ delayMs: 100, clock });
    const signals: AbortSignal[] = [];
    const hedges: number[] = [];
    policy.on('hedge', (event) => hedges.push(event.attempt));
    const result = track(
      policy.execute(({ signal, attempt }) => {
        signals.push(signal);
        return clock.sleep(attempt === 1 ? 1000 : 50).then(() => `attempt ${attempt}`);
      }),
    );
    await clock.advance(99);
    expect(signals).toHaveLength(1);
    await clock.advance(1);
    expect(signals).toHaveLength(2);
    await clock.advance(50);
    expect(result.value).toBe('attempt 2');
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[1]?.aborted).toBe(false);
    expect(hedges).toEqual([2]);
  });

  it('does not hedge a call that answers before the delay', async () => {
    const clock = new FakeClock();
    let attempts = 0;
    const result = track(
      hedge({ delayMs: 100, clock }).execute(() => {
        attempts++;
        return clock.sleep(10).then(() => 'fast');
      }),
    );
    await clock.advance(500);
    expect(result.value).toBe('fast');
    expect(attempts).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('starts the next attempt at once after a retryable failure', async () => {
    const clock = new FakeClock();
    const result = track(
      hedge({ delayMs: 10_000, clock }).execute(async ({ attempt }) => {
        if (attempt === 1) throw transientError();
        return 'second';
      }),
    );
    await clock.settle();
    expect(result.value).toBe('second');
  });

  it('ends the race with a non-retryable failure, and with the last error when all fail', async () => {
    const clock = new FakeClock();
    await expect(
      hedge({ delayMs: 10, clock }).execute(() => Promise.reject(permanentError())),
    ).rejects.toMatchObject({
      status: 404,
    });
    const last = transientError('second failure');
    const both = track(
      hedge({ delayMs: 10, clock }).execute(({ attempt }) =>
        Promise.reject(attempt === 1 ? transientError() : last),
      ),
    );
    await clock.advance(20);
    expect(both.error).toBe(last);
  });

  it('the caller can cancel the whole race', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const signals: AbortSignal[] = [];
    const result = track(
      hedge({ delayMs: 10, clock }).execute(
        ({ signal }) => {
          signals.push(signal);
          return clock.sleep(10_000);
        },
        { signal: controller.signal },
      ),
    );
    await clock.advance(20);
    controller.abort(new Error('stop'));
    await clock.settle();
    expect(result.error).toEqual(new Error('stop'));
    expect(signals.every((signal) => signal.aborted)).toBe(true);
  });
});
