import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../../src/index.js';
import { OperationQueue, type OperationQueueOptions } from '../../../src/queue/operation-queue.js';
import { permanentError, rateLimitedResponse, transientError } from '../../helpers.js';
import { FakeLink } from './fake-link.js';
import { setup, stopQueues } from './queue-setup.js';

afterEach(stopQueues);

describe('OperationQueue', () => {
  it('returns at once from enqueue, then runs by priority, first in first out among equals', async () => {
    const { clock, queue } = setup({ maxConcurrency: 1 });
    const order: string[] = [];
    queue.handle('op', async (payload: string) => {
      order.push(payload);
    });
    await queue.enqueueMany([
      { kind: 'op', payload: 'low-1' },
      { kind: 'op', payload: 'high', options: { priority: 10 } },
      { kind: 'op', payload: 'low-2' },
    ]);
    expect(order).toEqual([]);
    queue.start();
    await clock.advance(10);
    expect(order).toEqual(['high', 'low-1', 'low-2']);
    expect(await queue.status()).toMatchObject({ completed: 3, pending: 0 });
  });

  it('sends the same idempotency key on every attempt, and enqueuing a known key returns the same item', async () => {
    const { clock, queue } = setup();
    const keys: string[] = [];
    let calls = 0;
    queue.handle('op', async (_payload, { idempotencyKey }) => {
      keys.push(idempotencyKey);
      if (++calls < 3) throw transientError();
    });
    const item = await queue.enqueue('op', {}, { idempotencyKey: 'order-42' });
    expect((await queue.enqueue('op', { other: true }, { idempotencyKey: 'order-42' })).id).toBe(item.id);
    queue.start();
    await clock.advance(5000);
    expect(keys).toEqual(['order-42', 'order-42', 'order-42']);
  });

  it('reschedules a transient failure with backoff, and tells why', async () => {
    const { clock, queue } = setup();
    const attemptsAt: number[] = [];
    queue.handle('op', async () => {
      attemptsAt.push(clock.now());
      if (attemptsAt.length === 1) throw transientError();
    });
    const retries: Array<{ delayMs: number; message: string }> = [];
    queue.on('retrying', (event) => retries.push({ delayMs: event.delayMs, message: event.error.message }));
    const item = await queue.enqueue('op', null);
    queue.start();
    await clock.advance(999);
    expect(attemptsAt).toHaveLength(1);
    expect(await queue.get(item.id)).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: { kind: 'transient', code: 'ECONNRESET' },
    });
    await clock.advance(1);
    await clock.settle();
    expect(attemptsAt.map((at) => at - 1_000_000)).toEqual([0, 1000]);
    expect(retries).toEqual([{ delayMs: 1000, message: 'connection reset' }]);
    expect((await queue.get(item.id))?.status).toBe('completed');
  });

  it('waits the server-named time rather than the backoff', async () => {
    const { clock, queue } = setup();
    let calls = 0;
    queue.handle('op', async () => {
      if (++calls === 1) throw rateLimitedResponse('30');
    });
    await queue.enqueue('op', null);
    queue.start();
    await clock.advance(29_999);
    expect(calls).toBe(1);
    await clock.advance(1);
    expect(calls).toBe(2);
  });

  it('sends a permanent failure to the dead letter with its reason, and one that runs out of attempts', async () => {
    const { clock, queue } = setup({ maxAttempts: 3 });
    queue.handle('notfound', async () => Promise.reject(permanentError()));
    queue.handle('flaky', async () => Promise.reject(transientError()));
    const dead: string[] = [];
    queue.on('dead', (event) => dead.push(event.reason));
    const permanent = await queue.enqueue('notfound', null);
    const flaky = await queue.enqueue('flaky', null);
    queue.start();
    await clock.advance(10_000);
    expect(await queue.get(permanent.id)).toMatchObject({
      status: 'dead',
      attempts: 1,
      deadReason: 'permanent failure: HTTP 404 Not Found',
    });
    expect(await queue.get(flaky.id)).toMatchObject({
      status: 'dead',
      attempts: 3,
      deadReason: 'gave up after 3 attempts: connection reset',
    });
    expect(dead).toHaveLength(2);
    await queue.pause();
    expect(await queue.retryDead(flaky.id)).toBe(1);
    expect(await queue.get(flaky.id)).toMatchObject({ status: 'pending', attempts: 0 });
  });

  it('run(): done at once when it can be; queued with a reason when not, resolving when it finally completes', async () => {
    const link = new FakeLink('online');
    const { clock, queue } = setup({ connectivity: link });
    let failNext = false;
    queue.handle('op', async (payload: number) => {
      if (failNext) {
        failNext = false;
        throw transientError();
      }
      return payload * 2;
    });
    const now = await queue.run('op', 21);
    expect(now).toMatchObject({ status: 'completed', result: 42 });
    await expect(now.done).resolves.toBe(42);

    failNext = true;
    const later = await queue.run('op', 5);
    expect(later).toMatchObject({ status: 'queued', reason: 'connection reset' });
    queue.start();
    await clock.advance(1000);
    await expect(later.done).resolves.toBe(10);

    link.set('offline');
    const offline = await queue.run('op', 7);
    expect(offline).toMatchObject({ status: 'queued', reason: 'the link is offline' });
    await clock.advance(5000);
    expect((await queue.get(offline.item.id))?.status).toBe('pending');
    link.set('online');
    await clock.advance(1);
    await expect(offline.done).resolves.toBe(14);
  });

  it('run() on a started queue tries the item itself, ahead of its own worker', async () => {
    const { queue } = setup({ connectivity: new FakeLink('online') });
    queue.handle('op', async (payload: number) => payload * 2);
    queue.start();
    for (const payload of [1, 2, 3]) {
      const handle = await queue.run('op', payload);
      expect(handle).toMatchObject({ status: 'completed', result: payload * 2 });
    }
  });

  it('drains by itself when the link comes back, without anyone calling sync, and stops while offline', async () => {
    const link = new FakeLink('offline');
    const { clock, queue } = setup({ connectivity: link });
    const ran: number[] = [];
    queue.handle('op', async (payload: number) => {
      ran.push(payload);
    });
    queue.start();
    for (let i = 0; i < 5; i++) await queue.enqueue('op', i);
    await clock.advance(60_000);
    expect(ran).toEqual([]);
    expect((await queue.status()).pending).toBe(5);
    link.set('online');
    await clock.advance(1); // well within a second of the link being seen again
    expect(ran).toEqual([0, 1, 2, 3, 4]);
  });

  it('a failure of the link itself puts the item back without spending an attempt, and tells the monitor', async () => {
    const link = new FakeLink('online');
    const { clock, queue } = setup({ connectivity: link, maxAttempts: 2 });
    const dnsDown = Object.assign(new Error('getaddrinfo EAI_AGAIN api.test'), { code: 'EAI_AGAIN' });
    let calls = 0;
    queue.handle('op', async () => {
      calls++;
      link.set('offline');
      throw dnsDown;
    });
    const item = await queue.enqueue('op', null);
    queue.start();
    await clock.advance(100);
    expect(link.reportedFailures).toEqual([dnsDown]);
    expect(await queue.get(item.id)).toMatchObject({ status: 'pending', attempts: 0 });
    expect(calls).toBe(1);
  });

  it('runs at most maxConcurrency at once, or fewer when the quality monitor advises so', async () => {
    let advised = 2;
    const { clock, queue } = setup({
      maxConcurrency: 5,
      quality: { concurrency: () => advised },
    });
    let running = 0;
    let peak = 0;
    queue.handle('op', async () => {
      running++;
      peak = Math.max(peak, running);
      await clock.sleep(100);
      running--;
    });
    for (let i = 0; i < 10; i++) await queue.enqueue('op', i);
    queue.start();
    await clock.advance(1000);
    expect(peak).toBe(2);
    advised = 50;
    peak = 0;
    for (let i = 0; i < 10; i++) await queue.enqueue('op', i);
    await clock.advance(1000);
    expect(peak).toBe(5);
  });

  it('removes, clears and purges, and says so in events', async () => {
    const { clock, queue } = setup();
    queue.handle('op', async () => 'ok');
    const events: string[] = [];
    for (const name of ['removed', 'cleared', 'purged'] as const) queue.on(name, () => events.push(name));
    const [a, b] = await queue.enqueueMany([
      { kind: 'op', payload: 1 },
      { kind: 'other', payload: 2 },
    ]);
    queue.start();
    await clock.advance(10);
    expect(await queue.purgeCompleted({ olderThanMs: 60_000 })).toBe(0);
    await clock.advance(60_001);
    expect(await queue.purgeCompleted({ olderThanMs: 60_000 })).toBe(1);
    expect(await queue.get(a?.id ?? -1)).toBeUndefined();
    expect(await queue.remove(b?.id ?? -1)).toBe(true);
    await queue.enqueue('other', 3);
    expect(await queue.clear()).toBe(0);
    expect(await queue.clear({ includePending: true })).toBe(1);
    expect(events).toEqual(['purged', 'purged', 'removed', 'cleared', 'cleared']);
  });

  it('refuses bad input with a clear message', async () => {
    const { queue } = setup();
    await expect(queue.enqueue('no spaces please', {})).rejects.toThrow(InvalidOptionError);
    await expect(queue.enqueue('op', { big: 10n })).rejects.toThrow(
      /payload of a 'op' operation must be JSON/,
    );
    await expect(queue.enqueue('op', {}, { priority: 1.5 })).rejects.toThrow(/priority must be an integer/);
    queue.handle('op', async () => {});
    expect(() => queue.handle('op', async () => {})).toThrow("kind 'op' already has a handler");
    expect(() => new OperationQueue({} as OperationQueueOptions)).toThrow(/a store is required/);
  });
});
