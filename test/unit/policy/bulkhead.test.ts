import { describe, expect, it } from 'vitest';
import { BulkheadFullError, bulkhead } from '../../../src/index.js';
import { deferred, track } from '../../helpers.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('bulkhead', () => {
  it('runs at most maxConcurrent at once, queues up to maxQueued, rejects the rest clearly', async () => {
    const policy = bulkhead({ maxConcurrent: 2, maxQueued: 1 });
    const gates = [deferred<number>(), deferred<number>(), deferred<number>()];
    const started: number[] = [];
    const calls = gates.map((gate, i) =>
      track(
        policy.execute(() => {
          started.push(i);
          return gate.promise;
        }),
      ),
    );
    const rejected = await policy.execute(async () => 'never').catch((error: unknown) => error);
    expect(rejected).toBeInstanceOf(BulkheadFullError);
    expect((rejected as Error).message).toBe(
      'bulkhead full: 2 running and 1 queued; shed load, or raise maxConcurrent or maxQueued',
    );
    expect(started).toEqual([0, 1]);
    expect([policy.executing, policy.queued]).toEqual([2, 1]);

    gates[0]?.resolve(0);
    await tick();
    expect(started).toEqual([0, 1, 2]);
    gates[1]?.resolve(1);
    gates[2]?.resolve(2);
    await tick();
    expect(calls.map((call) => call.value)).toEqual([0, 1, 2]);
    expect([policy.executing, policy.queued]).toEqual([0, 0]);
  });

  it('frees the slot when a call fails', async () => {
    const policy = bulkhead({ maxConcurrent: 1 });
    await policy.execute(() => Promise.reject(new Error('x'))).catch(() => {});
    await expect(policy.execute(async () => 'next')).resolves.toBe('next');
  });

  it('a cancelled waiter leaves the queue and never runs', async () => {
    const policy = bulkhead({ maxConcurrent: 1, maxQueued: 5 });
    const gate = deferred();
    track(policy.execute(() => gate.promise));
    const controller = new AbortController();
    let ran = false;
    const waiting = track(
      policy.execute(
        async () => {
          ran = true;
        },
        { signal: controller.signal },
      ),
    );
    expect(policy.queued).toBe(1);
    controller.abort(new Error('gave up waiting'));
    await tick();
    expect(waiting.error).toEqual(new Error('gave up waiting'));
    expect(policy.queued).toBe(0);
    gate.resolve();
    await tick();
    expect(ran).toBe(false);
  });

  it('refuses bad options', () => {
    expect(() => bulkhead({ maxConcurrent: 0 })).toThrow(/maxConcurrent must be an integer ≥ 1, got 0/);
  });
});
