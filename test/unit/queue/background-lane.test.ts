import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/index.js';
import { MemoryQueueStore } from '../../../src/queue/memory-store.js';
import { OperationQueue } from '../../../src/queue/operation-queue.js';
import { deferred } from '../../helpers.js';

/**
 * A queue whose link quality advises one slot, with two long uploads queued first (higher priority) and
 * two small operations after them; `background` registers the upload kind as such.
 */
async function poorLinkQueue(background: boolean) {
  const clock = new FakeClock(1_000_000);
  const queue = new OperationQueue({
    store: new MemoryQueueStore(),
    clock,
    maxConcurrency: 4,
    pollIntervalMs: 1000,
    quality: { concurrency: () => 1 },
  });
  const uploadsDone = deferred();
  const uploadsStarted: string[] = [];
  const operations: string[] = [];
  queue.handle(
    'upload',
    async (file: string) => {
      uploadsStarted.push(file);
      await uploadsDone.promise;
    },
    { background },
  );
  queue.handle('op', async (name: string) => {
    operations.push(name);
    await clock.sleep(50);
  });
  await queue.enqueueMany([
    { kind: 'upload', payload: 'big-1.bin', options: { priority: 1 } },
    { kind: 'upload', payload: 'big-2.bin', options: { priority: 1 } },
    { kind: 'op', payload: 'a' },
    { kind: 'op', payload: 'b' },
  ]);
  queue.start();
  for (let second = 0; second < 10; second++) await clock.advance(1000);
  const finish = async () => {
    uploadsDone.resolve();
    for (let second = 0; second < 10; second++) await clock.advance(1000);
    await queue.stop(0);
  };
  return { uploadsStarted, operations, finish };
}

describe('background kinds on a link that advises one slot', () => {
  it('run small operations beside an upload that holds that slot, and never a second upload', async () => {
    const { uploadsStarted, operations, finish } = await poorLinkQueue(true);
    expect(uploadsStarted).toEqual(['big-1.bin']);
    expect(operations).toEqual(['a', 'b']);
    await finish();
    expect(uploadsStarted).toEqual(['big-1.bin', 'big-2.bin']);
  });

  it('otherwise wait behind it: the operations start only once the uploads are done', async () => {
    const { uploadsStarted, operations, finish } = await poorLinkQueue(false);
    expect(uploadsStarted).toEqual(['big-1.bin']);
    expect(operations).toEqual([]);
    await finish();
    expect(operations).toEqual(['a', 'b']);
  });
});
