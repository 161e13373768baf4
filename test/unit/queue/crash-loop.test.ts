import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/index.js';
import { MemoryQueueStore } from '../../../src/queue/memory-store.js';
import { OperationQueue } from '../../../src/queue/operation-queue.js';

const POISON = 6;

/**
 * A handler that kills its process, and the process restarted each time (simulated: the dead queue is
 * abandoned — its handlers never return — and a new one, as the next process, recovers the store). Short
 * operations run beside the poison one, so the worker claims ahead. The poison item kills its process on
 * each of its first `crashLimit` runs; a new process is started after each death, until one lives.
 */
async function crashLoop({ maxAttempts, crashLimit }: { maxAttempts: number; crashLimit: number }) {
  const clock = new FakeClock(1_000_000);
  const store = new MemoryQueueStore();
  const dead = new Set<string>();
  const deadLetters: Array<{ owner: string; payload: unknown; reason: string }> = [];
  let crashes = 0;
  const start = (owner: string) => {
    const queue = new OperationQueue({
      store,
      clock,
      owner,
      maxConcurrency: 2,
      pollIntervalMs: 100,
      isOwnerAlive: (other) => !dead.has(other),
    });
    queue.on('dead', ({ item, reason }) => deadLetters.push({ owner, payload: item.payload, reason }));
    const hang = () => new Promise<never>(() => {}); // a dead process does nothing more
    queue.handle('op', async (n: number) => {
      if (dead.has(owner)) return hang();
      await clock.sleep(n === POISON ? 50 : 5); // the short ones are claimed ahead meanwhile
      if (dead.has(owner)) return hang();
      if (n === POISON && crashes < crashLimit) {
        dead.add(owner); // the process dies here, mid-handler
        crashes++;
        return hang();
      }
    });
    queue.start();
  };
  await store.insert(
    Array.from({ length: 40 }, (_, n) => ({
      kind: 'op',
      payload: n,
      priority: 0,
      idempotencyKey: `op-${n}`,
      maxAttempts,
      nextAttemptAtMs: clock.now(),
      createdAtMs: clock.now(),
    })),
  );
  let processes = 0;
  start('p0');
  for (;;) {
    await clock.advance(1_000);
    if (!dead.has(`p${processes}`)) break; // it lived: the loop is over
    processes++;
    expect(processes).toBeLessThan(20);
    start(`p${processes}`); // restarted: recovers what the dead process held
  }
  await clock.advance(5_000);
  const items = await store.list({ limit: 100 });
  const poison = items.find((item) => item.payload === POISON);
  // Everything after the poison item was claimed ahead at some crash, or queued behind it.
  const after = items.filter((item) => (item.payload as number) > POISON + 1);
  return { crashes, poison, after, others: items.filter((item) => item !== poison), deadLetters };
}

describe('a crash loop', () => {
  it('charges the poison item each crash, and the items claimed ahead nothing', async () => {
    const { crashes, poison, after, others } = await crashLoop({ maxAttempts: 10, crashLimit: 4 });
    expect(crashes).toBe(4);
    expect(poison?.status).toBe('completed');
    expect(others.every((item) => item.status === 'completed')).toBe(true);
    // Five runs, four counted: each restart's first claim counts what starts at once (the poison item,
    // first in line), but the first run began from the items claimed ahead, whose attempt only an
    // outcome counts — and a crash leaves none. A known under-count, by one, for that case.
    expect(poison?.attempts).toBe(4);
    expect(after.map((item) => item.attempts)).toEqual(after.map(() => 1));
  });

  it('ends in dead letter once the crashes have used up the attempts, and the rest completes', async () => {
    const { crashes, poison, after, others, deadLetters } = await crashLoop({
      maxAttempts: 3,
      crashLimit: Number.POSITIVE_INFINITY,
    });
    // Three counted runs (and the uncounted first, begun from ahead): the next process, recovering it,
    // finds its last attempt unfinished and buries it instead of running it again.
    expect(crashes).toBe(4);
    const reason =
      'gave up after 3 attempts: the last one never finished (its process stopped, or its claim lapsed)';
    expect(poison).toMatchObject({ status: 'dead', attempts: 3, deadReason: reason });
    expect(deadLetters).toEqual([{ owner: 'p4', payload: POISON, reason }]);
    expect(others.every((item) => item.status === 'completed')).toBe(true);
    expect(after.map((item) => item.attempts)).toEqual(after.map(() => 1));
  });
});
