import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/index.js';
import { MemoryQueueStore } from '../../../src/queue/memory-store.js';
import { OperationQueue } from '../../../src/queue/operation-queue.js';
import { deferred } from '../../helpers.js';

/** A memory store whose completions stay unwritten until the test lets them through. */
class SlowCompletionStore extends MemoryQueueStore {
  readonly writes: Array<{ id: number; release: () => void }> = [];
  readonly calls: string[] = [];
  releaseAll = false;

  override async claim(request: Parameters<MemoryQueueStore['claim']>[0]) {
    const items = await super.claim(request);
    for (const item of items) this.calls.push(`claim ${item.payload as string}`);
    return items;
  }

  override async complete(id: number, owner: string, outcome: { nowMs: number; result?: unknown }) {
    const gate = deferred();
    if (this.releaseAll) gate.resolve();
    this.writes.push({ id, release: gate.resolve });
    this.calls.push(`complete ${id}`);
    await gate.promise;
    return super.complete(id, owner, outcome);
  }
}

const queues: Array<{ queue: OperationQueue; store: SlowCompletionStore }> = [];
afterEach(async () => {
  for (const { queue, store } of queues.splice(0)) {
    store.releaseAll = true;
    for (const write of store.writes) write.release();
    await queue.stop(0);
  }
});

describe('Worker slots', () => {
  it('a returned handler frees its slot while its outcome is written; completion is told only once written', async () => {
    const clock = new FakeClock(1_000_000);
    const store = new SlowCompletionStore();
    const queue = new OperationQueue({ store, clock, maxConcurrency: 1, pollIntervalMs: 1000 });
    queues.push({ queue, store });
    let running = 0;
    let peak = 0;
    const started: string[] = [];
    queue.handle('op', async (payload: string) => {
      running++;
      peak = Math.max(peak, running);
      started.push(payload);
      await clock.sleep(10);
      running--;
    });
    const completed: string[] = [];
    queue.on('completed', ({ item }) => completed.push(item.payload as string));
    const [first] = await queue.enqueueMany([
      { kind: 'op', payload: 'a' },
      { kind: 'op', payload: 'b' },
      { kind: 'op', payload: 'c' },
    ]);
    queue.start();
    await clock.advance(10);
    // 'a' returned; its completion is not written yet, and 'b' already runs in the freed slot ('a' was
    // short, so 'c' is claimed ahead with it).
    expect(store.calls.slice(0, 3)).toEqual(['claim a', `complete ${first?.id}`, 'claim b']);
    expect(started).toEqual(['a', 'b']);
    expect(completed).toEqual([]);
    expect((await queue.get(first?.id as number))?.status).toBe('running');

    store.writes[0]?.release();
    await clock.advance(0);
    expect(completed).toEqual(['a']);
    await clock.advance(10);
    expect(started).toEqual(['a', 'b', 'c']);
    expect(completed).toEqual(['a']);
    for (const write of store.writes.slice(1)) write.release();
    await clock.advance(10);
    store.writes[2]?.release();
    await clock.advance(0);
    expect(completed).toEqual(['a', 'b', 'c']);
    expect(await queue.status()).toMatchObject({ completed: 3, running: 0, pending: 0 });
    expect(peak).toBe(1);
  });

  it('a completion that could not be written is not reported completed: the item stays to run again', async () => {
    const clock = new FakeClock(1_000_000);
    const store = new SlowCompletionStore();
    store.complete = async () => {
      throw new Error('disk full');
    };
    const queue = new OperationQueue({ store, clock, maxConcurrency: 1, pollIntervalMs: 1000 });
    queues.push({ queue, store });
    queue.handle('op', async () => 'done');
    const completed: unknown[] = [];
    const errors: unknown[] = [];
    queue.on('completed', ({ item }) => completed.push(item.id));
    queue.on('error', ({ error }) => errors.push(error));
    const item = await queue.enqueue('op', 'a');
    const syncing = queue.sync();
    await clock.advance(10_000); // the write is tried again three times (outcome-write.test.ts)
    const summary = await syncing;
    expect(errors).toHaveLength(4);
    expect(errors[0]).toMatchObject({ message: 'disk full' });
    expect(completed).toEqual([]);
    expect(summary).toMatchObject({ completed: 0 });
    expect((await queue.get(item.id))?.status).toBe('running'); // recovered, and run again, on the next open
  });

  it('stop() waits for outcomes still being written', async () => {
    const clock = new FakeClock(1_000_000);
    const store = new SlowCompletionStore();
    const queue = new OperationQueue({ store, clock, maxConcurrency: 2, pollIntervalMs: 1000 });
    queues.push({ queue, store });
    queue.handle('op', async () => {});
    const item = await queue.enqueue('op', 'a');
    queue.start();
    await clock.advance(1);
    let stopped = false;
    const stopping = queue.stop(5000).then(() => {
      stopped = true;
    });
    await clock.advance(100);
    expect(stopped).toBe(false);
    store.writes[0]?.release();
    await stopping;
    expect((await queue.get(item.id))?.status).toBe('completed');
  });
});
