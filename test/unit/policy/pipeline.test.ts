import { describe, expect, it } from 'vitest';
import {
  circuitBreaker,
  constantBackoff,
  FakeClock,
  fallback,
  type Policy,
  pipeline,
  retry,
  TimeoutError,
  timeout,
} from '../../../src/index.js';
import { deferred, failingThen, permanentError, track, transientError } from '../../helpers.js';

describe('pipeline', () => {
  it('retry outside the breaker: the breaker sees every attempt, and retry waits out the open breaker', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({ consecutiveFailures: 2, resetTimeoutMs: 1000, clock });
    const policy = pipeline(retry({ maxAttempts: 4, backoff: constantBackoff(0), clock }), breaker);
    const { fn, calls } = failingThen([transientError(), transientError()], 'ok');
    const result = track(policy.execute(fn));
    await clock.settle();
    expect(calls).toEqual([1, 2]);
    expect(breaker.state).toBe('open');
    // The third attempt is refused by the open breaker; retry waits its retryAfterMs, then the trial succeeds.
    await clock.advance(1000);
    expect(result.value).toBe('ok');
    expect(calls).toEqual([1, 2, 4]);
    expect(breaker.state).toBe('closed');
  });

  it('breaker outside retry: the breaker sees one outcome per call', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({ consecutiveFailures: 2, clock });
    const policy = pipeline(breaker, retry({ maxAttempts: 3, backoff: constantBackoff(0), clock }));
    await policy
      .execute(failingThen([transientError(), transientError(), transientError()], 'x').fn)
      .catch(() => {});
    expect(breaker.state).toBe('closed');
    await policy
      .execute(failingThen([transientError(), transientError(), transientError()], 'x').fn)
      .catch(() => {});
    expect(breaker.state).toBe('open');
  });

  it('timeout inside retry limits each attempt; outside, it limits the whole call', async () => {
    const clock = new FakeClock();
    const slowThenFast = () => {
      let attempt = 0;
      return () => {
        attempt++;
        return attempt === 1 ? deferred<string>().promise : Promise.resolve('second');
      };
    };
    const perAttempt = track(
      pipeline(
        retry({ maxAttempts: 2, backoff: constantBackoff(0), clock }),
        timeout(100, { clock }),
      ).execute(slowThenFast()),
    );
    const wholeCall = track(
      pipeline(
        timeout(100, { clock }),
        retry({ maxAttempts: 2, backoff: constantBackoff(0), clock }),
      ).execute(slowThenFast()),
    );
    await clock.advance(150);
    expect(perAttempt.value).toBe('second');
    expect(wholeCall.error).toBeInstanceOf(TimeoutError);
  });

  it('passes the timeout signal and the attempt number down to the function', async () => {
    const clock = new FakeClock();
    const seen: Array<[number, boolean]> = [];
    const policy = pipeline(
      retry({ maxAttempts: 2, backoff: constantBackoff(0), clock }),
      timeout(50, { clock }),
    );
    const result = track(
      policy.execute(({ signal, attempt }) => {
        seen.push([attempt, signal.aborted]);
        return attempt === 1
          ? new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
          : 'ok';
      }),
    );
    await clock.advance(60);
    expect(result.value).toBe('ok');
    expect(seen).toEqual([
      [1, false],
      [2, false],
    ]);
  });

  it('a fallback outermost catches what the others finally throw, and its type is in the result', async () => {
    const policy = pipeline(
      fallback('default' as const),
      retry({ maxAttempts: 2, backoff: constantBackoff(0) }),
    );
    const value: number | 'default' = await policy.execute(
      () => Promise.reject(transientError()) as Promise<number>,
    );
    expect(value).toBe('default');
  });

  it('pipelines nest, and any Policy can be a layer', async () => {
    const order: string[] = [];
    const tracing = (name: string): Policy => ({
      async execute(fn, options) {
        order.push(`${name} in`);
        try {
          return await fn({ signal: options?.signal ?? new AbortController().signal, attempt: 1 });
        } finally {
          order.push(`${name} out`);
        }
      },
    });
    const inner = pipeline(tracing('b'), tracing('c'));
    await expect(pipeline(tracing('a'), inner).execute(async () => order.push('fn'))).resolves.toBe(4);
    expect(order).toEqual(['a in', 'b in', 'c in', 'fn', 'c out', 'b out', 'a out']);
  });

  it('an empty pipeline just runs the function', async () => {
    await expect(pipeline().execute(async () => 42)).resolves.toBe(42);
  });

  it('reports each failed attempt, and the final failure once', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({ consecutiveFailures: 1, clock });
    const policy = pipeline(retry({ maxAttempts: 2, backoff: constantBackoff(0), clock }), breaker);
    const events: string[] = [];
    policy.on('attemptFailure', (event) => events.push(`attempt ${event.attempt}`));
    policy.on('failure', (event) => events.push(`failure fromAttempt=${event.fromAttempt}`));
    policy.on('success', (event) => events.push(`success on ${event.attempt}`));

    await policy.execute(() => Promise.reject(permanentError())).catch(() => {});
    await policy.execute(() => Promise.reject(transientError())).catch(() => {});
    expect(events).toEqual([
      'attempt 1',
      'failure fromAttempt=true',
      'attempt 1',
      'failure fromAttempt=false', // the retry's second attempt was refused by the open breaker
    ]);
    breaker.reset();
    events.length = 0;
    await policy.execute(async () => 'ok');
    expect(events).toEqual(['success on 1']);
  });
});
