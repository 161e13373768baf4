import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDurableQueue } from '../../src/node/durable-queue.js';
import { SameTurnBatch } from '../../src/node/same-turn-batch.js';
import type { OperationQueue } from '../../src/queue/operation-queue.js';
import { tempDir } from './support/queue-fixtures.js';

const queues: OperationQueue[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const queue of queues.splice(0)) await queue.close();
});

describe('the durable queue commits', () => {
  it("an item's outcome together with the next claims, and tells completion only once written", async () => {
    const path = join(tempDir(), 'queue.db');
    const queue = createDurableQueue({ path, synchronous: 'normal', maxConcurrency: 1 });
    queues.push(queue);
    const commits: number[] = [];
    const flush = SameTurnBatch.prototype.flush;
    vi.spyOn(SameTurnBatch.prototype, 'flush').mockImplementation(function (
      this: SameTurnBatch<unknown, unknown>,
    ) {
      const waiting = (this as unknown as { waiting: unknown[] }).waiting.length;
      if (waiting > 0) commits.push(waiting);
      flush.call(this);
    });
    const observer = createDurableQueue({ path, synchronous: 'normal' });
    queues.push(observer);
    const statusAtCompletion: string[] = [];
    queue.on('completed', ({ item }) => {
      void observer.get(item.id).then((stored) => statusAtCompletion.push(stored?.status ?? 'missing'));
    });
    const ran: number[] = [];
    queue.handle('op', async (n: number) => {
      ran.push(n);
      return { n };
    });
    await queue.enqueueMany([0, 1, 2, 3, 4].map((n) => ({ kind: 'op', payload: n })));
    const drained = new Promise<void>((resolve) => queue.on('drained', () => resolve()));
    queue.start();
    await drained;
    await new Promise((resolve) => setTimeout(resolve, 20));

    expect(ran).toEqual([0, 1, 2, 3, 4]);
    // The first claim alone; after it every commit but the last carries several writes: completions
    // with the claims of the next items (claimed ahead: these attempts are short).
    const writes = commits.reduce((sum, count) => sum + count, 0);
    expect(commits[0]).toBe(1);
    expect(commits.slice(1, -1).every((count) => count >= 2)).toBe(true);
    expect(writes).toBeGreaterThanOrEqual(7); // five completions, two claims at least
    expect(commits.length).toBeLessThanOrEqual(Math.ceil(writes / 2) + 1);
    expect(statusAtCompletion).toEqual(['completed', 'completed', 'completed', 'completed', 'completed']);
    expect(await observer.status()).toMatchObject({ completed: 5, running: 0, pending: 0 });
    // Each handler's result is on disk, as JSON.
    expect((await observer.list({ status: 'completed' })).map((item) => item.result)).toEqual(
      [0, 1, 2, 3, 4].map((n) => ({ n })),
    );
  });
});
