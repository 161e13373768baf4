import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/index.js';
import { MemoryQueueStore } from '../../../src/queue/memory-store.js';
import { OperationQueue } from '../../../src/queue/operation-queue.js';

describe('OperationQueue.offer', () => {
  it('says whether an item is new, and returns the stored one for a key already written', async () => {
    const queue = new OperationQueue({ store: new MemoryQueueStore(), clock: new FakeClock(1_000_000) });
    const enqueued: number[] = [];
    queue.on('enqueued', ({ item }) => enqueued.push(item.id));
    const first = await queue.offer('note', { n: 1 }, { idempotencyKey: 'k' });
    const again = await queue.offer('note', { n: 2 }, { idempotencyKey: 'k' });
    const other = await queue.offer('note', { n: 3 });
    expect(first.inserted).toBe(true);
    expect(again).toMatchObject({ inserted: false, item: { id: first.item.id, payload: { n: 1 } } });
    expect(other.inserted).toBe(true);
    expect(enqueued).toEqual([first.item.id, other.item.id]);
    await queue.close();
  });
});
