import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/index.js';
import { MemoryQueueStore } from '../../../src/queue/memory-store.js';
import { OperationQueue } from '../../../src/queue/operation-queue.js';

describe('a stopping queue', () => {
  it('tells running handlers as it begins to stop (context.stopping), long before the grace period ends', async () => {
    const clock = new FakeClock(1_000_000);
    const queue = new OperationQueue({ store: new MemoryQueueStore(), clock, pollIntervalMs: 1000 });
    const seen: string[] = [];
    queue.handle('wait', async (_payload, { stopping, signal }) => {
      seen.push('started');
      // A handler that only waits: it ends as soon as it hears of the stop.
      await new Promise<void>((resolve) => stopping?.addEventListener('abort', () => resolve()));
      seen.push(signal.aborted ? 'ended after the grace' : 'ended at the stop notice');
      throw new DOMException('stopped while waiting', 'AbortError');
    });
    await queue.enqueue('wait', {});
    queue.start();
    while (seen.length === 0) await clock.advance(10);
    const stopped = queue.stop(10_000);
    await clock.advance(0);
    await stopped; // without the notice this would need the clock to pass the 10 s grace
    expect(seen).toEqual(['started', 'ended at the stop notice']);
    expect((await queue.list())[0]?.status).toBe('pending'); // back in the queue, not failed
  });
});
