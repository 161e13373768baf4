import { afterEach, describe, expect, it } from 'vitest';
import { constantBackoff, FakeClock } from '../../../src/index.js';
import { MemoryQueueStore } from '../../../src/queue/memory-store.js';
import { OperationQueue } from '../../../src/queue/operation-queue.js';
import { transientError } from '../../helpers.js';

/** A store whose outcome writes fail, as a disk can for a moment, the first `failures` times. */
class RefusingStore extends MemoryQueueStore {
  completions = 0;
  reschedules = 0;
  constructor(private failures: number) {
    super();
  }
  private refuse(): void {
    if (this.failures-- > 0) throw new Error('SQLITE_IOERR: disk I/O error');
  }
  override async complete(...args: Parameters<MemoryQueueStore['complete']>) {
    this.completions++;
    this.refuse();
    return super.complete(...args);
  }
  override async reschedule(...args: Parameters<MemoryQueueStore['reschedule']>) {
    this.reschedules++;
    this.refuse();
    return super.reschedule(...args);
  }
}

const queues: OperationQueue[] = [];
afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.stop(0);
});

async function runOnce(failures: number, options: { maxAttempts?: number; handlerFails?: boolean } = {}) {
  const clock = new FakeClock(1_000_000);
  const store = new RefusingStore(failures);
  const queue = new OperationQueue({
    store,
    clock,
    backoff: constantBackoff(1000),
    maxAttempts: options.maxAttempts ?? 1,
  });
  queues.push(queue);
  let runs = 0;
  queue.handle('op', async () => {
    runs++;
    if (options.handlerFails && runs === 1) throw transientError();
  });
  const errors: string[] = [];
  const completed: number[] = [];
  queue.on('error', ({ error }) => errors.push((error as Error).message));
  queue.on('completed', ({ item }) => completed.push(item.id));
  const item = await queue.enqueue('op', null);
  queue.start();
  return { clock, store, queue, item, errors, completed, runs: () => runs };
}

describe('writing an outcome', () => {
  it('tries a refused completion again, so an item at its last attempt completes rather than dying', async () => {
    const { clock, store, queue, item, errors, completed, runs } = await runOnce(2);
    await clock.advance(99);
    expect(store.completions).toBe(1);
    expect((await queue.get(item.id))?.status).toBe('running');
    await clock.advance(1); // the second try, refused too
    await clock.advance(1000); // the third, written
    await clock.settle();
    expect(store.completions).toBe(3);
    expect((await queue.get(item.id))?.status).toBe('completed');
    expect(completed).toEqual([item.id]);
    expect(errors).toEqual(['SQLITE_IOERR: disk I/O error', 'SQLITE_IOERR: disk I/O error']);
    expect(runs()).toBe(1);
  });

  it('gives up after its tries: the item is not reported completed, and stays for recovery', async () => {
    const { clock, store, queue, item, errors, completed } = await runOnce(100);
    await clock.advance(10_000);
    await clock.settle();
    expect(store.completions).toBe(4);
    expect(errors).toHaveLength(4);
    expect(completed).toEqual([]);
    expect((await queue.get(item.id))?.status).toBe('running');
  });

  it('tries a refused failure outcome again too: the item is rescheduled with its real error', async () => {
    const { clock, store, queue, item, errors } = await runOnce(1, { maxAttempts: 3, handlerFails: true });
    await clock.advance(99);
    expect(store.reschedules).toBe(1);
    await clock.advance(1);
    expect(store.reschedules).toBe(2);
    expect(errors).toEqual(['SQLITE_IOERR: disk I/O error']);
    expect(await queue.get(item.id)).toMatchObject({
      status: 'pending',
      lastError: { kind: 'transient', code: 'ECONNRESET' },
    });
  });

  it('a stop does not wait out the pauses: the tries left come at once', async () => {
    const { clock, store, queue } = await runOnce(100);
    await clock.advance(50); // the first write was refused; the next try waits 100 ms
    expect(store.completions).toBe(1);
    const stopping = queue.stop(0);
    await clock.advance(0); // the grace time is over
    await stopping;
    expect(store.completions).toBe(4);
  });
});
