import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/index.js';
import { ROUNDS_AHEAD, SHORT_ATTEMPT_MS } from '../../../src/queue/claim-ahead.js';
import { MemoryQueueStore } from '../../../src/queue/memory-store.js';
import { OperationQueue } from '../../../src/queue/operation-queue.js';

/** A memory store that records the limit of every claim, and the most items it ever held running. */
class ClaimRecordingStore extends MemoryQueueStore {
  readonly limits: number[] = [];
  peakRunning = 0;

  override async claim(request: Parameters<MemoryQueueStore['claim']>[0]) {
    this.limits.push(request.limit);
    const items = await super.claim(request);
    this.peakRunning = Math.max(this.peakRunning, (await this.counts()).running);
    return items;
  }
}

const queues: OperationQueue[] = [];
afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.stop(0);
});

function setup(attemptMs: number) {
  const clock = new FakeClock(1_000_000);
  const store = new ClaimRecordingStore();
  const queue = new OperationQueue({ store, clock, maxConcurrency: 2, pollIntervalMs: 1000 });
  queues.push(queue);
  const ran: number[] = [];
  queue.handle('op', async (n: number, { signal }) => {
    ran.push(n);
    await clock.sleep(attemptMs, signal);
  });
  return { clock, store, queue, ran };
}

const enqueue = (queue: OperationQueue, count: number) =>
  queue.enqueueMany(Array.from({ length: count }, (_, n) => ({ kind: 'op', payload: n })));

describe('claiming ahead', () => {
  it('claims short operations a round ahead, so claims serve several items; each runs once, in order', async () => {
    const { clock, store, queue, ran } = setup(5);
    await enqueue(queue, 20);
    queue.start();
    await clock.advance(500);
    expect(ran).toEqual(Array.from({ length: 20 }, (_, n) => n));
    expect(await queue.status()).toMatchObject({ completed: 20, running: 0, pending: 0 });
    // Claimed ahead or not, each attempt is counted once: by the claim, or by the completion.
    expect((await queue.list({ status: 'completed' })).map((item) => item.attempts)).toEqual(
      Array.from({ length: 20 }, () => 1),
    );
    expect(Math.max(...store.limits)).toBe(2 + ROUNDS_AHEAD * 2); // two free slots, and rounds of two ahead
    expect(store.limits.length).toBeLessThan(13); // one claim per item would be 20
  });

  it('claims long operations one free slot at a time: what the store calls running is what runs', async () => {
    const { clock, store, queue, ran } = setup(SHORT_ATTEMPT_MS * 3);
    await enqueue(queue, 6);
    queue.start();
    await clock.advance(SHORT_ATTEMPT_MS * 3 * 4);
    expect(ran).toHaveLength(6);
    expect(Math.max(...store.limits)).toBe(2);
    expect(store.peakRunning).toBe(2);
  });

  it('gives items claimed ahead back unspent when the queue pauses or stops', async () => {
    const clock = new FakeClock(1_000_000);
    const store = new ClaimRecordingStore();
    const queue = new OperationQueue({ store, clock, maxConcurrency: 2, pollIntervalMs: 1000 });
    queues.push(queue);
    const finish = new Map<number, () => void>();
    queue.handle('op', (n: number, { signal }) => {
      return new Promise<void>((resolve, reject) => {
        finish.set(n, resolve);
        signal.addEventListener('abort', () => reject(signal.reason));
      });
    });
    const attemptsOf = async (ids: number[]) =>
      Promise.all(ids.map(async (id) => [(await queue.get(id))?.status, (await queue.get(id))?.attempts]));
    const items = await enqueue(queue, 10);
    const ids = items.map((item) => item.id);
    queue.start();
    await clock.advance(1);
    finish.get(0)?.();
    finish.get(1)?.(); // two attempts of no time at all: short, so the next claim takes a round ahead
    await clock.advance(1);
    const ahead = ROUNDS_AHEAD * 2;
    expect(store.limits).toEqual([2, 2 + ahead]);
    expect((await queue.status()).running).toBe(2 + ahead); // 2 and 3 run, the next ones wait claimed

    await queue.pause();
    await clock.advance(1);
    expect(await attemptsOf(ids.slice(2, 4 + ahead))).toEqual([
      ['running', 1],
      ['running', 1],
      ...Array.from({ length: ahead }, () => ['pending', 0]),
    ]);

    await queue.resume();
    finish.get(2)?.();
    await clock.advance(1); // a slot frees: 4 runs, the next ones are claimed ahead again
    expect((await queue.status()).running).toBe(2 + ahead);
    const stopped = queue.stop(0);
    await clock.advance(1);
    await stopped;
    expect((await queue.status()).running).toBe(0);
    expect((await queue.list({ status: 'pending' })).every((item) => item.attempts === 0)).toBe(true);
  });

  it('a crash costs the items claimed ahead nothing: only what was running has an attempt counted', async () => {
    const clock = new FakeClock(1_000_000);
    const store = new ClaimRecordingStore();
    // Never stopped: it stands for a process killed mid-drain (on the fake clock it does nothing more).
    const crashed = new OperationQueue({ store, clock, maxConcurrency: 2 });
    const finish = new Map<number, () => void>();
    crashed.handle('op', (n: number) => new Promise<void>((resolve) => finish.set(n, resolve)));
    const ids = (await enqueue(crashed, 10)).map((item) => item.id);
    crashed.start();
    await clock.advance(1);
    finish.get(0)?.();
    finish.get(1)?.();
    await clock.advance(1); // 2 and 3 run, the next ones are claimed ahead — and then the process dies
    const ahead = ROUNDS_AHEAD * 2;
    expect((await crashed.status()).running).toBe(2 + ahead);

    expect(await store.recover(clock.now(), () => false)).toEqual({ requeued: 2 + ahead, buried: [] }); // the next process opens the store
    const attempts = await Promise.all(
      ids.slice(2, 4 + ahead).map(async (id) => (await store.get(id))?.attempts),
    );
    expect(attempts).toEqual([1, 1, ...Array.from({ length: ahead }, () => 0)]);
  });
});
