import { constantBackoff, FakeClock } from '../../../src/index.js';
import { MemoryQueueStore } from '../../../src/queue/memory-store.js';
import { OperationQueue, type OperationQueueOptions } from '../../../src/queue/operation-queue.js';

/** Queues made by `setup`, stopped by `stopQueues` after each test. */
const queues: OperationQueue[] = [];

export async function stopQueues(): Promise<void> {
  for (const queue of queues.splice(0)) await queue.stop(0);
}

/** A queue on a memory store and a fake clock, with a constant 1 s backoff and poll. */
export function setup(options: Partial<OperationQueueOptions> = {}) {
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
export async function claimedElsewhere(
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
export function startRecording(queue: OperationQueue): { ran: number[]; recovered: number[] } {
  const ran: number[] = [];
  const recovered: number[] = [];
  queue.handle('op', async (payload: number) => {
    ran.push(payload);
  });
  queue.on('recovered', (event) => recovered.push(event.count));
  queue.start();
  return { ran, recovered };
}
