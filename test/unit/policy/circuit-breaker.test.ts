import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CircuitBreaker,
  CircuitOpenError,
  circuitBreaker,
  FakeClock,
  type StateChange,
} from '../../../src/index.js';
import { deferred, permanentError, track, transientError } from '../../helpers.js';

const fail = () => Promise.reject(transientError());
const succeed = () => Promise.resolve('ok');

async function failTimes(breaker: CircuitBreaker, times: number) {
  for (let i = 0; i < times; i++) await breaker.execute(fail).catch(() => {});
}

describe('circuitBreaker: consecutive failures', () => {
  it('opens after N consecutive failures and fails fast with the time until half-open', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({ name: 'walrus', consecutiveFailures: 3, resetTimeoutMs: 10_000, clock });
    await failTimes(breaker, 2);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');

    await clock.advance(2500);
    let called = false;
    const error = await breaker
      .execute(async () => {
        called = true;
      })
      .catch((caught: unknown) => caught);
    expect(called).toBe(false);
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toMatchObject({ code: 'CIRCUIT_OPEN', circuitName: 'walrus', retryAfterMs: 7500 });
    expect((error as Error).message).toMatch(
      /circuit 'walrus' is open \(3 consecutive failures.*next trial call in 7\.5s/,
    );
  });

  it('a success resets the consecutive count', async () => {
    const breaker = circuitBreaker({ consecutiveFailures: 3, clock: new FakeClock() });
    await failTimes(breaker, 2);
    await breaker.execute(succeed);
    await failTimes(breaker, 2);
    expect(breaker.state).toBe('closed');
  });

  it('only counts failures that are the service’s fault: 404s and cancellations never open it', async () => {
    const breaker = circuitBreaker({ consecutiveFailures: 2, clock: new FakeClock() });
    for (let i = 0; i < 10; i++)
      await breaker.execute(() => Promise.reject(permanentError())).catch(() => {});
    for (let i = 0; i < 10; i++)
      await breaker.execute(() => Promise.reject(new DOMException('x', 'AbortError'))).catch(() => {});
    expect(breaker.state).toBe('closed');
  });

  it('accepts a user predicate for what counts', async () => {
    const breaker = circuitBreaker({
      consecutiveFailures: 2,
      isServiceFault: (failure) => failure.status === 404,
      clock: new FakeClock(),
    });
    await breaker.execute(() => Promise.reject(permanentError())).catch(() => {});
    await breaker.execute(() => Promise.reject(permanentError())).catch(() => {});
    expect(breaker.state).toBe('open');
  });
});

describe('circuitBreaker: half-open', () => {
  it('lets a bounded number of trial calls through and refuses the rest', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({
      consecutiveFailures: 1,
      resetTimeoutMs: 1000,
      halfOpenMaxProbes: 2,
      halfOpenSuccessesToClose: 2,
      clock,
    });
    await failTimes(breaker, 1);
    await clock.advance(1000);
    expect(breaker.state).toBe('half-open');

    const first = deferred<string>();
    const second = deferred<string>();
    const probe1 = track(breaker.execute(() => first.promise));
    const probe2 = track(breaker.execute(() => second.promise));
    const refused = await breaker.execute(succeed).catch((caught: unknown) => caught);
    expect(refused).toMatchObject({ code: 'CIRCUIT_OPEN', retryAfterMs: 0 });
    expect((refused as Error).message).toContain('a trial call is running');

    first.resolve('a');
    await clock.settle();
    expect(breaker.state).toBe('half-open');
    second.resolve('b');
    await clock.settle();
    expect(breaker.state).toBe('closed');
    expect([probe1.value, probe2.value]).toEqual(['a', 'b']);
  });

  it('a failed trial reopens, with the reset timeout growing on repeated opening and resetting on close', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({
      consecutiveFailures: 1,
      resetTimeoutMs: 1000,
      resetTimeoutGrowth: { factor: 2, maxResetTimeoutMs: 3000 },
      clock,
    });
    await failTimes(breaker, 1);
    expect(breaker.snapshot().resetTimeoutMs).toBe(1000);
    await clock.advance(1000);
    await failTimes(breaker, 1);
    expect(breaker.snapshot()).toMatchObject({ state: 'open', resetTimeoutMs: 2000, retryAfterMs: 2000 });
    await clock.advance(2000);
    await failTimes(breaker, 1);
    expect(breaker.snapshot().resetTimeoutMs).toBe(3000);
    await clock.advance(3000);
    await breaker.execute(succeed);
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', resetTimeoutMs: 1000 });
  });

  it('a trial that fails with a non-counted failure frees its slot without reopening', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({ consecutiveFailures: 1, resetTimeoutMs: 100, clock });
    await failTimes(breaker, 1);
    await clock.advance(100);
    await breaker.execute(() => Promise.reject(permanentError())).catch(() => {});
    expect(breaker.state).toBe('half-open');
    await breaker.execute(succeed);
    expect(breaker.state).toBe('closed');
  });

  it('ignores outcomes of calls admitted before it opened', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({ consecutiveFailures: 1, resetTimeoutMs: 100, clock });
    const slow = deferred<string>();
    const slowCall = track(breaker.execute(() => slow.promise));
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    slow.resolve('late');
    await clock.settle();
    expect(slowCall.value).toBe('late');
    expect(breaker.state).toBe('open');
  });
});

describe('circuitBreaker: failure rate', () => {
  it('opens on a rate over a count window, only once the minimum number of calls is seen', async () => {
    const breaker = circuitBreaker({
      failureRate: { threshold: 0.5, minimumCalls: 6, window: { calls: 10 } },
      clock: new FakeClock(),
    });
    await breaker.execute(succeed);
    await breaker.execute(succeed);
    await failTimes(breaker, 3);
    expect(breaker.state).toBe('closed'); // 3/5 but only 5 calls
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open'); // 4/6
    expect(breaker.snapshot().reason).toMatch(/failure rate 67% over the last 10 calls \(threshold 50%\)/);
  });

  it('forgets old calls in a count window', async () => {
    const breaker = circuitBreaker({
      failureRate: { threshold: 0.5, minimumCalls: 4, window: { calls: 4 } },
      clock: new FakeClock(),
    });
    await failTimes(breaker, 1);
    for (let i = 0; i < 4; i++) await breaker.execute(succeed);
    await failTimes(breaker, 1);
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', calls: 4, failures: 1 });
  });

  it('forgets failures older than a time window', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({
      failureRate: { threshold: 0.5, minimumCalls: 4, window: { durationMs: 10_000 } },
      clock,
    });
    await failTimes(breaker, 3);
    await clock.advance(11_000);
    expect(breaker.snapshot()).toMatchObject({ calls: 0, failures: 0 });
    await failTimes(breaker, 1);
    await breaker.execute(succeed);
    await breaker.execute(succeed);
    await breaker.execute(succeed);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 2);
    expect(breaker.state).toBe('open');
  });

  it('counts slow successes as failures when slowCallMs is set', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({
      failureRate: { threshold: 0.5, minimumCalls: 2, window: { calls: 10 }, slowCallMs: 500 },
      clock,
    });
    const slow = () => clock.sleep(600).then(() => 'slow');
    const first = track(breaker.execute(slow));
    await clock.advance(600);
    const second = track(breaker.execute(slow));
    await clock.advance(600);
    expect([first.value, second.value]).toEqual(['slow', 'slow']);
    expect(breaker.state).toBe('open');
  });
});

describe('circuitBreaker: manual control and events', () => {
  it('isolate holds it open until reset; events record every transition', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({ name: 'sui', resetTimeoutMs: 100, clock });
    const changes: StateChange[] = [];
    breaker.on('stateChange', (change) => changes.push(change));
    breaker.isolate();
    await clock.advance(10_000);
    expect(breaker.state).toBe('isolated');
    await expect(breaker.execute(succeed)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    breaker.reset();
    await expect(breaker.execute(succeed)).resolves.toBe('ok');
    expect(changes.map(({ from, to }) => `${from}→${to}`)).toEqual(['closed→isolated', 'isolated→closed']);
    expect(breaker.snapshot().lastTransitions).toHaveLength(2);
  });

  it('refuses bad options', () => {
    expect(() => circuitBreaker({ consecutiveFailures: -1 })).toThrow(
      /consecutiveFailures must be an integer ≥ 0/,
    );
    expect(() => circuitBreaker({ failureRate: { threshold: 1.5 } })).toThrow(
      /threshold must be a number between/,
    );
    expect(() => circuitBreaker({ resetTimeoutGrowth: { factor: 2, maxResetTimeoutMs: 10 } })).toThrow(
      /maxResetTimeoutMs/,
    );
  });
});

describe('circuitBreaker: invariants (property)', () => {
  type Step = { kind: 'call'; outcome: 'ok' | 'fail' | 'ignored' } | { kind: 'wait'; ms: number };
  const step = fc.oneof(
    fc.record({
      kind: fc.constant('call' as const),
      outcome: fc.constantFrom('ok' as const, 'fail' as const, 'ignored' as const),
    }),
    fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 3000 }) }),
  );

  it('never runs the function while open, never opens below its threshold, closes only after trials succeed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { maxLength: 60 }),
        fc.integer({ min: 1, max: 5 }),
        async (steps: Step[], limit) => {
          const clock = new FakeClock();
          const breaker = circuitBreaker({ consecutiveFailures: limit, resetTimeoutMs: 1000, clock });
          let consecutive = 0;
          for (const current of steps) {
            if (current.kind === 'wait') {
              await clock.advance(current.ms);
              continue;
            }
            const before = breaker.state;
            let ran = false;
            const outcome = current.outcome;
            await breaker
              .execute(async () => {
                ran = true;
                if (outcome === 'fail') throw transientError();
                if (outcome === 'ignored') throw permanentError();
              })
              .catch(() => {});
            const after = breaker.state;
            if (before === 'open') expect(ran).toBe(false);
            if (before === 'closed') {
              expect(ran).toBe(true);
              if (outcome === 'fail') consecutive++;
              if (outcome === 'ok') consecutive = 0;
              expect(after).toBe(consecutive >= limit ? 'open' : 'closed');
            }
            if (after === 'closed' && before !== 'closed') expect(outcome).toBe('ok');
            // The count starts again whenever the breaker leaves closed.
            if (after !== 'closed') consecutive = 0;
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
