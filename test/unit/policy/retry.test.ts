import { describe, expect, it } from 'vitest';
import {
  CircuitOpenError,
  constantBackoff,
  exponentialBackoff,
  FakeClock,
  formatGiveUp,
  formatRetry,
  formatSuccess,
  type GiveUpEvent,
  type RetryEvent,
  retry,
  retryBudget,
} from '../../../src/index.js';
import { failingThen, permanentError, rateLimitedResponse, track, transientError } from '../../helpers.js';

describe('retry', () => {
  it('retries transient failures with the backoff delays, and returns the value', async () => {
    const clock = new FakeClock();
    const policy = retry({
      maxAttempts: 4,
      backoff: exponentialBackoff({ initialDelayMs: 100, jitter: 'none' }),
      clock,
    });
    const { fn, calls } = failingThen([transientError(), transientError()], 'ok');
    const result = track(policy.execute(fn));
    await clock.settle();
    expect(calls).toEqual([1]);
    await clock.advance(99);
    expect(calls).toEqual([1]);
    await clock.advance(1);
    expect(calls).toEqual([1, 2]);
    await clock.advance(199);
    expect(calls).toEqual([1, 2]);
    await clock.advance(1);
    expect(calls).toEqual([1, 2, 3]);
    expect(result.value).toBe('ok');
  });

  it('does not retry a permanent failure', async () => {
    const { fn, calls } = failingThen([permanentError()], 'never');
    await expect(retry({ maxAttempts: 5, clock: new FakeClock() }).execute(fn)).rejects.toMatchObject({
      status: 404,
    });
    expect(calls).toEqual([1]);
  });

  it('stops after maxAttempts and throws the last error itself', async () => {
    const clock = new FakeClock();
    const errors = [transientError('one'), transientError('two'), transientError('three')];
    const { fn, calls } = failingThen(errors, 'never');
    const result = track(retry({ maxAttempts: 3, backoff: constantBackoff(10), clock }).execute(fn));
    await clock.runAll();
    expect(calls).toEqual([1, 2, 3]);
    expect(result.error).toBe(errors[2]);
  });

  it('a zero delay retries without a timer', async () => {
    const clock = new FakeClock();
    const { fn, calls } = failingThen([transientError(), transientError()], 'ok');
    const result = retry({ maxAttempts: 3, backoff: constantBackoff(0), clock }).execute(fn);
    await expect(result).resolves.toBe('ok');
    expect(calls).toEqual([1, 2, 3]);
    expect(clock.now()).toBe(0);
  });

  it('honours Retry-After exactly, without jitter, instead of the backoff', async () => {
    const clock = new FakeClock();
    const policy = retry({ maxAttempts: 2, backoff: constantBackoff(5), clock });
    const { fn, calls } = failingThen([rateLimitedResponse('2')], 'ok');
    const result = track(policy.execute(fn));
    await clock.advance(1999);
    expect(calls).toEqual([1]);
    await clock.advance(1);
    expect(calls).toEqual([1, 2]);
    expect(result.value).toBe('ok');
  });

  it('fails fast with RETRY_AFTER_TOO_LONG when the server asks for more than maxRetryAfterMs', async () => {
    const clock = new FakeClock();
    const { fn, calls } = failingThen([rateLimitedResponse('120')], 'ok');
    const policy = retry({ maxAttempts: 5, maxRetryAfterMs: 60_000, clock });
    await expect(policy.execute(fn)).rejects.toMatchObject({
      code: 'RETRY_AFTER_TOO_LONG',
      retryAfterMs: 120_000,
    });
    expect(calls).toEqual([1]);
  });

  it("waits for a breaker's half-open time when the breaker inside refuses", async () => {
    const clock = new FakeClock();
    const { fn, calls } = failingThen([new CircuitOpenError('svc', 300, 'test')], 'ok');
    const result = track(retry({ maxAttempts: 2, backoff: constantBackoff(1), clock }).execute(fn));
    await clock.advance(299);
    expect(calls).toEqual([1]);
    await clock.advance(1);
    expect(result.value).toBe('ok');
  });

  it("fails with the breaker's own error when its half-open time is beyond maxRetryAfterMs", async () => {
    const clock = new FakeClock();
    const refused = new CircuitOpenError('svc', 30_000, 'test');
    const { fn, calls } = failingThen([refused], 'ok');
    const policy = retry({ maxAttempts: 5, maxRetryAfterMs: 2_000, clock });
    await expect(policy.execute(fn)).rejects.toBe(refused); // not "the server asked to wait"
    expect(calls).toEqual([1]);
  });

  it('gives up when the next wait would pass maxElapsedMs', async () => {
    const clock = new FakeClock();
    const failures = Array.from({ length: 10 }, () => transientError());
    const { fn, calls } = failingThen(failures, 'ok');
    const policy = retry({ maxAttempts: 10, maxElapsedMs: 250, backoff: constantBackoff(100), clock });
    const reasons: string[] = [];
    policy.on('giveUp', (event) => reasons.push(event.reason));
    const result = track(policy.execute(fn));
    await clock.runAll();
    expect(calls).toEqual([1, 2, 3]);
    expect(result.error).toBe(failures[2]);
    expect(reasons).toEqual(['max-elapsed']);
  });

  it('is cancellable during the wait: rejects at once with the reason, and tries no more', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const { fn, calls } = failingThen([transientError(), transientError()], 'ok');
    const result = track(
      retry({ maxAttempts: 5, backoff: constantBackoff(10_000), clock }).execute(fn, {
        signal: controller.signal,
      }),
    );
    await clock.advance(100);
    controller.abort(new Error('user pressed ctrl-c'));
    await clock.settle();
    expect(result.error).toEqual(new Error('user pressed ctrl-c'));
    await clock.runAll();
    expect(calls).toEqual([1]);
  });

  it('does not retry after the caller aborted, whatever the function threw', async () => {
    const controller = new AbortController();
    let calls = 0;
    const fn = async () => {
      calls++;
      controller.abort();
      throw transientError();
    };
    await expect(
      retry({ maxAttempts: 3, clock: new FakeClock() }).execute(fn, { signal: controller.signal }),
    ).rejects.toThrow();
    expect(calls).toBe(1);
  });

  it('retries only what a user predicate allows', async () => {
    const { fn, calls } = failingThen([permanentError(), permanentError()], 'ok');
    const policy = retry({
      maxAttempts: 3,
      backoff: constantBackoff(0),
      shouldRetry: (failure) => failure.status === 404,
    });
    await expect(policy.execute(fn)).resolves.toBe('ok');
    expect(calls).toEqual([1, 2, 3]);
  });

  it('tells the function which attempt it is', async () => {
    const { fn, calls } = failingThen([transientError()], 'ok');
    await retry({ maxAttempts: 2, backoff: constantBackoff(0) }).execute(fn);
    expect(calls).toEqual([1, 2]);
  });

  it('turns a synchronous throw into a retryable failure, never a synchronous exception', async () => {
    let calls = 0;
    const policy = retry({ maxAttempts: 2, backoff: constantBackoff(0) });
    const result = policy.execute(() => {
      calls++;
      if (calls === 1) throw transientError();
      return 'sync value';
    });
    await expect(result).resolves.toBe('sync value');
  });

  it('emits retry events a person can read, and success and give-up events', async () => {
    const clock = new FakeClock();
    const policy = retry({ maxAttempts: 5, backoff: constantBackoff(1000), clock });
    const lines: string[] = [];
    policy.on('retry', (event: RetryEvent) => lines.push(formatRetry(event)));
    policy.on('success', (event) => lines.push(formatSuccess(event)));
    const { fn } = failingThen([transientError(), transientError()], 'ok');
    const result = track(policy.execute(fn));
    await clock.runAll();
    expect(result.value).toBe('ok');
    expect(lines).toEqual([
      'Attempt 1 failed: connection reset — retrying in 1.0s (4 of 5 attempts left)',
      'Attempt 2 failed: connection reset — retrying in 1.0s (3 of 5 attempts left)',
      'Succeeded after 3 attempts in 2.0s',
    ]);
  });

  it('formats each way of giving up', async () => {
    const policy = retry({ maxAttempts: 2, backoff: constantBackoff(0) });
    const events: GiveUpEvent[] = [];
    policy.on('giveUp', (event) => events.push(event));
    await policy.execute(failingThen([permanentError()], 1).fn).catch(() => {});
    await policy.execute(failingThen([transientError(), transientError()], 1).fn).catch(() => {});
    expect(events.map(formatGiveUp)).toEqual([
      'Not retrying: HTTP 404 Not Found (permanent)',
      'Gave up after 2 attempts: connection reset',
    ]);
    const serverNamed = formatRetry({
      attempt: 1,
      delayMs: 1000,
      serverNamedDelay: true,
      attemptsRemaining: 1,
      maxAttempts: 2,
      failure: {
        kind: 'rate-limited',
        retryable: true,
        serviceFault: false,
        message: 'HTTP 429 Too Many Requests',
        cause: null,
      },
      error: null,
    });
    expect(serverNamed).toBe(
      'Attempt 1 failed: HTTP 429 Too Many Requests — retrying in 1.0s, as the server asked (1 of 2 attempts left)',
    );
  });

  it('stops retrying when the shared budget is exhausted', async () => {
    const budget = retryBudget({ maxTokens: 4, tokenRatio: 1 });
    const policy = retry({ maxAttempts: 10, backoff: constantBackoff(0), budget });
    const failures = Array.from({ length: 10 }, () => transientError());
    const { fn, calls } = failingThen(failures, 'ok');
    const error = await policy.execute(fn).catch((caught: unknown) => caught);
    // Tokens start at 4 and retries need more than 2: the first failure leaves 3 (retried), the second 2 (not).
    expect(calls).toEqual([1, 2]);
    expect(error).toMatchObject({ code: 'BUDGET_EXHAUSTED', cause: failures[1] });
    expect(budget.retriesAllowed).toBe(false);
  });

  it('refuses bad options', () => {
    expect(() => retry({ maxAttempts: 0 })).toThrow(/maxAttempts must be an integer ≥ 1, got 0/);
    expect(() => retry({ maxElapsedMs: -1 })).toThrow(/maxElapsedMs/);
  });
});
