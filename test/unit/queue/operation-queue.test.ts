import { afterEach, describe, expect, it } from 'vitest';
import { constantBackoff, FakeClock, InvalidOptionError } from '../../../src/index.js';
import { MemoryQueueStore } from '../../../src/queue/memory-store.js';
import { OperationQueue, type OperationQueueOptions } from '../../../src/queue/operation-queue.js';
import { deferred, permanentError, rateLimitedResponse, transientError } from '../../helpers.js';
import { FakeLink } from './fake-link.js';

const queues: OperationQueue[] = [];
afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.stop(0);
});

function setup(options: Partial<OperationQueueOptions> = {}) {
  const clock = new FakeClock(1_000_000);
  const store = new MemoryQueueStore();
  const queue = new OperationQueue({
    store,
    clock,
    backoff: constantBackoff(1000),
    pollIntervalMs: 1000,
    ...options,
  });
  queues.push(queue);
  return { clock, store, queue };
}

/** An item another process claimed (and then died holding): inserted, and claimed by `owner`. */
async function claimedElsewhere(
  store: MemoryQueueStore,
  owner: string,
  payload: number,
  nowMs: number,
  leaseMs = 10_000_000,
) {
  await store.insert([
    {
      kind: 'op',
      payload,
      priority: 0,
      idempotencyKey: `elsewhere-${payload}`,
      maxAttempts: 5,
      nextAttemptAtMs: 0,
      createdAtMs: 0,
    },
  ]);
  await store.claim({ nowMs, limit: 1, owner, leaseUntilMs: nowMs + leaseMs, kinds: ['op'] });
}

/** Starts `queue` with an `op` handler, recording the payloads it ran and the recoveries it reported. */
function startRecording(queue: OperationQueue): { ran: number[]; recovered: number[] } {
  const ran: number[] = [];
  const recovered: number[] = [];
  queue.handle('op', async (payload: number) => {
    ran.push(payload);
  });
  queue.on('recovered', (event) => recovered.push(event.count));
  queue.start();
  return { ran, recovered };
}

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

  it('pause stops new attempts; resume goes on', async () => {
    const { clock, queue } = setup();
    const ran: number[] = [];
    queue.handle('op', async (payload: number) => {
      ran.push(payload);
    });
    await queue.pause();
    queue.start();
    await queue.enqueue('op', 1);
    await clock.advance(10_000);
    expect(ran).toEqual([]);
    expect((await queue.status()).paused).toBe(true);
    await queue.resume();
    await clock.advance(1);
    expect(ran).toEqual([1]);
  });

  it('a pause from another queue on the same store (another process) reaches the running worker', async () => {
    const { clock, store, queue } = setup();
    const cli = new OperationQueue({ store, clock });
    const ran: number[] = [];
    queue.handle('op', async (payload: number) => {
      ran.push(payload);
    });
    queue.start();
    await cli.pause();
    await clock.advance(1000); // the worker re-reads the flag at least every poll interval
    await cli.enqueue('op', 1);
    await clock.advance(5000);
    expect(ran).toEqual([]);
    expect(queue.isPaused).toBe(true);
    await cli.resume();
    await clock.advance(1000);
    expect(ran).toEqual([1]);
  });

  it('sync() runs every pending item once now, even ones waiting out a backoff, and sums up', async () => {
    const { queue } = setup({ backoff: constantBackoff(3_600_000) });
    let flaky = 0;
    queue.handle('ok', async () => 'fine');
    queue.handle('flaky', async () => {
      if (++flaky < 3) throw transientError();
    });
    queue.handle('bad', async () => Promise.reject(permanentError()));
    await queue.enqueueMany([
      { kind: 'ok', payload: 1 },
      { kind: 'flaky', payload: 2 },
      { kind: 'bad', payload: 3 },
      { kind: 'ok', payload: 4, options: { notBefore: Date.now() + 3_600_000 } },
    ]);
    expect(await queue.sync()).toEqual({
      attempted: 4,
      completed: 2,
      retrying: 1,
      dead: 1,
      released: 0,
      remaining: 1,
      paused: false,
    });
    expect(await queue.sync()).toEqual({
      attempted: 1,
      completed: 0,
      retrying: 1,
      dead: 0,
      released: 0,
      remaining: 1,
      paused: false,
    });
    expect(await queue.sync()).toMatchObject({ completed: 1, remaining: 0 });
  });

  it('sync() on a paused queue runs nothing, says it was paused, and runs everything once resumed', async () => {
    const { queue } = setup();
    let ran = 0;
    queue.handle('ok', async () => {
      ran++;
    });
    await queue.enqueueMany([
      { kind: 'ok', payload: 1 },
      { kind: 'ok', payload: 2 },
    ]);
    await queue.pause();
    expect(await queue.sync()).toMatchObject({ attempted: 0, remaining: 2, paused: true });
    expect(ran).toBe(0);
    await queue.resume();
    expect(await queue.sync()).toMatchObject({ completed: 2, remaining: 0, paused: false });
    expect(ran).toBe(2);
  });

  it('recovers items a crashed worker left running, when it opens the store', async () => {
    const { clock, store, queue } = setup({ isOwnerAlive: (owner) => owner !== 'crashed-process' });
    await claimedElsewhere(store, 'crashed-process', 1, 0);
    const { ran, recovered } = startRecording(queue);
    await clock.advance(10);
    expect(recovered).toEqual([1]);
    expect(ran).toEqual([1]);
  });

  it('takes back what another process left running while it runs, not only when it starts', async () => {
    const dead = new Set<string>();
    const { clock, store, queue } = setup({
      isOwnerAlive: (owner) => !dead.has(owner),
      recoverIntervalMs: 10_000,
    });
    const { ran, recovered } = startRecording(queue);
    await clock.advance(10);
    // Another process (a `send --wait`) claims an item, then is killed while this queue keeps running.
    await claimedElsewhere(store, 'send-process', 8, clock.now());
    dead.add('send-process');
    // And a live process whose claim lapsed (it slept): it may still be running its item — left alone.
    await claimedElsewhere(store, 'asleep-process', 9, clock.now(), 1_000);
    await clock.advance(5_000);
    expect(ran).toEqual([]); // not yet: the next look is due 10 s after the first, at the start
    await clock.advance(5_100);
    expect(recovered).toEqual([1]);
    expect(ran).toEqual([8]);
    expect((await store.list({ limit: 10 })).find((item) => item.payload === 9)?.status).toBe('running');
  });

  it('stop() lets running attempts finish within the grace time, else puts them back unspent', async () => {
    const { clock, queue } = setup();
    const finish = deferred();
    queue.handle('quick', async () => finish.promise);
    const abortedAtStart: boolean[] = [];
    queue.handle('stuck', async (_payload, { signal }) => {
      abortedAtStart.push(signal.aborted);
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    });
    const quick = await queue.enqueue('quick', null);
    const stuck = await queue.enqueue('stuck', null);
    queue.start();
    await clock.advance(1);
    const stopping = queue.stop(5000);
    finish.resolve();
    await clock.advance(5000);
    await stopping;
    expect((await queue.get(quick.id))?.status).toBe('completed');
    expect(await queue.get(stuck.id)).toMatchObject({ status: 'pending', attempts: 0 });
    // Started again, the attempt gets a signal that has not aborted.
    queue.start();
    await clock.advance(1);
    expect(abortedAtStart).toEqual([false, false]);
    expect((await queue.get(stuck.id))?.status).toBe('running');
    const stoppedAgain = queue.stop(0);
    await clock.advance(1);
    await stoppedAgain;
    expect(await queue.get(stuck.id)).toMatchObject({ status: 'pending', attempts: 0 });
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
