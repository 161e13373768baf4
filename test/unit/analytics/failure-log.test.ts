import { describe, expect, it } from 'vitest';
import {
  CircuitOpenError,
  circuitBreaker,
  constantBackoff,
  FailureLog,
  FakeClock,
  MemoryFailureStore,
  pipeline,
  retry,
} from '../../../src/index.js';
import { permanentError, transientError } from '../../helpers.js';

const timeoutError = () => Object.assign(new Error('connect timed out'), { code: 'UND_ERR_CONNECT_TIMEOUT' });

describe('FailureLog', () => {
  it('records a failure with its classification and context', () => {
    const clock = new FakeClock(5000);
    const log = new FailureLog({ clock });
    const record = log.record(transientError(), {
      operation: 'store-blob',
      component: 'walrus',
      metadata: { blobHash: 'abc' },
    });
    expect(record).toEqual({
      atMs: 5000,
      kind: 'transient',
      message: 'connection reset',
      code: 'ECONNRESET',
      retryable: true,
      operation: 'store-blob',
      component: 'walrus',
      severity: 'warning',
      metadata: { blobHash: 'abc' },
    });
    expect(log.record(permanentError()).severity).toBe('error');
  });

  it('keeps memory bounded: the oldest records go first', () => {
    const log = new FailureLog({ capacity: 3, clock: new FakeClock() });
    for (let i = 0; i < 5; i++) log.record(new Error(`error ${i}`));
    expect(log.list().map((record) => record.message)).toEqual(['error 2', 'error 3', 'error 4']);
  });

  it('computes stats: totals, by kind, operation, component, severity, and the top errors', async () => {
    const clock = new FakeClock();
    const log = new FailureLog({ clock });
    for (let i = 0; i < 3; i++) log.record(transientError(), { operation: 'upload', component: 'sync' });
    log.record(permanentError(), { operation: 'fetch', component: 'api' });
    await clock.advance(1000);
    log.record(timeoutError(), { operation: 'upload', component: 'sync' });
    const stats = log.stats();
    expect(stats).toMatchObject({
      total: 5,
      byKind: { transient: 3, permanent: 1, timeout: 1 },
      byOperation: { upload: 4, fetch: 1 },
      byComponent: { sync: 4, api: 1 },
      bySeverity: { warning: 4, error: 1 },
      firstAtMs: 0,
      lastAtMs: 1000,
    });
    expect(stats.topErrors[0]).toMatchObject({ message: 'connection reset', code: 'ECONNRESET', count: 3 });
    expect(log.stats({ sinceMs: 500 }).total).toBe(1);
  });

  it('counts a breaker refusing again and again as one error, whatever its countdown said', () => {
    const log = new FailureLog({ clock: new FakeClock() });
    for (const retryAfterMs of [30_000, 29_900, 29_800, 150_000])
      log.record(new CircuitOpenError('http api.test', retryAfterMs, '5 consecutive failures'));
    const [top, ...others] = log.stats().topErrors;
    expect(top).toMatchObject({ code: 'CIRCUIT_OPEN', count: 4 });
    expect(others).toEqual([]);
  });

  it('computes failure rates per operation over a window, successes included', async () => {
    const clock = new FakeClock(0);
    const log = new FailureLog({ clock });
    log.record(transientError(), { operation: 'old' });
    await clock.advance(2 * 3_600_000);
    for (let i = 0; i < 3; i++) log.recordSuccess({ operation: 'upload' });
    log.record(transientError(), { operation: 'upload' });
    const rates = log.rates({ windowMs: 60_000 });
    expect(rates).toEqual([
      { operation: 'upload', failures: 1, successes: 3, failureRate: 0.25, failuresPerMinute: 1 },
    ]);
    expect(log.rates({ windowMs: 3 * 3_600_000, operation: 'old' })[0]).toMatchObject({ failureRate: 1 });
  });

  it('detects a repeated error, with advice for its kind', () => {
    const log = new FailureLog({ clock: new FakeClock() });
    for (let i = 0; i < 6; i++) log.record(timeoutError(), { operation: 'sync' });
    const [pattern] = log.patterns();
    expect(pattern).toMatchObject({
      type: 'repeated-error',
      summary: 'connect timed out (UND_ERR_CONNECT_TIMEOUT) repeated 6 times in sync',
      count: 6,
      kind: 'timeout',
    });
    expect(pattern?.recommendation).toMatch(/lifeline probe/);
  });

  it('detects a burst against a quiet background, but not a steady rate', async () => {
    const clock = new FakeClock(Date.parse('2026-11-22T12:00:00Z'));
    const burst = new FailureLog({ clock });
    for (let i = 0; i < 5; i++) {
      burst.record(new Error(`background ${i}`));
      await clock.advance(60_000);
    }
    for (let i = 0; i < 12; i++) {
      burst.record(new Error(`outage ${i}`));
      await clock.advance(500);
    }
    expect(burst.patterns().find((pattern) => pattern.type === 'burst')?.summary).toBe(
      'burst of 12 failures within 5.5s at 12:05:00 UTC',
    );

    const steady = new FailureLog({ clock });
    for (let i = 0; i < 30; i++) {
      steady.record(new Error(`steady ${i}`));
      await clock.advance(1000);
    }
    expect(steady.patterns().some((pattern) => pattern.type === 'burst')).toBe(false);
  });

  it('detects one operation dominating the failures', () => {
    const log = new FailureLog({ clock: new FakeClock() });
    for (let i = 0; i < 8; i++) log.record(new Error(`e${i}`), { operation: 'store-blob' });
    for (let i = 0; i < 2; i++) log.record(new Error(`f${i}`), { operation: 'read-blob' });
    expect(log.patterns().find((pattern) => pattern.type === 'dominant-operation')).toMatchObject({
      summary: 'store-blob accounts for 80% of failures (8 of 10)',
      operation: 'store-blob',
    });
  });

  it('attached to a pipeline, records every failed attempt, refusals once, and successes', async () => {
    const clock = new FakeClock();
    const log = new FailureLog({ clock });
    const breaker = circuitBreaker({ consecutiveFailures: 2, resetTimeoutMs: 60_000, clock });
    const policy = pipeline(retry({ maxAttempts: 3, backoff: constantBackoff(0), clock }), breaker);
    const detach = log.attach(policy, { operation: 'push', component: 'remote' });

    await policy.execute(async () => 'ok');
    await policy.execute(() => Promise.reject(transientError())).catch(() => {});
    const kinds = log.list().map((record) => `${record.kind}:${record.metadata?.attempt ?? '-'}`);
    // Two failed attempts open the breaker; the third attempt is refused, and that refusal is the final error.
    expect(kinds).toEqual(['transient:1', 'transient:2', 'circuit-open:-']);
    expect(log.rates()[0]).toMatchObject({ operation: 'push', failures: 3, successes: 1 });

    detach();
    breaker.reset();
    await policy.execute(() => Promise.reject(transientError())).catch(() => {});
    expect(log.list()).toHaveLength(3);
  });

  it('writes through to a store, and loads from it in a new run', async () => {
    const store = new MemoryFailureStore();
    const first = new FailureLog({ store, clock: new FakeClock(100) });
    first.record(transientError(), { operation: 'a' });
    first.record(permanentError(), { operation: 'b' });
    const second = new FailureLog({ store, clock: new FakeClock(200) });
    expect(await second.load()).toBe(2);
    expect(second.stats().byOperation).toEqual({ a: 1, b: 1 });
    await second.clear();
    expect(store.load(0, 10)).toEqual([]);
  });

  it('keeps the record in memory and remembers the error when the store fails', () => {
    const log = new FailureLog({
      store: {
        append() {
          throw new Error('disk full');
        },
        load: () => [],
        clear() {},
      },
      clock: new FakeClock(),
    });
    log.record(transientError());
    expect(log.list()).toHaveLength(1);
    expect(log.lastStoreError).toEqual(new Error('disk full'));
  });
});
