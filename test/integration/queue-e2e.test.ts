import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type LifelineServer } from '../../src/server/index.js';
import { ChaosProxy } from '../../src/testing/index.js';
import { httpQueue, postOperations, tempDir } from './support/queue-fixtures.js';
import { untilAsync } from './support/tcp.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function startServer(): Promise<LifelineServer> {
  const server = createServer({ dataDir: tempDir('lifeline-server-'), port: 0, synchronous: 'normal' });
  await server.start();
  cleanup.push(() => server.stop());
  return server;
}

describe('the queue, end to end through real faults', () => {
  it('1,000 operations through 30% of connections reset all arrive, each applied exactly once', async () => {
    const server = await startServer();
    const proxy = await new ChaosProxy({
      upstream: { port: server.port },
      seed: 99,
      toxics: [{ type: 'reset', probability: 0.3, afterBytes: 40, direction: 'downstream' }],
    }).start();
    cleanup.push(() => proxy.stop());
    // A connection per request, so 30% of connections means about 30% of requests meet a reset.
    const { queue, close } = httpQueue({
      path: join(tempDir(), 'queue.db'),
      synchronous: 'normal',
      maxConcurrency: 8,
      keepAlive: false,
    });
    cleanup.push(close);

    const items = await queue.enqueueMany(postOperations(`${proxy.url}/ops/e2e`, 1000));
    queue.start();
    await untilAsync(
      async () => (await queue.status()).completed === 1000,
      90_000,
      '1,000 completed operations',
    );
    const status = await queue.status();
    expect(status).toMatchObject({ completed: 1000, pending: 0, running: 0, dead: 0 });

    const applied = server.appliedCountByKey();
    expect(applied.size).toBe(1000);
    expect([...applied.values()].every((count) => count === 1)).toBe(true);
    expect(new Set(items.map((item) => item.idempotencyKey))).toEqual(new Set(applied.keys()));
    expect(proxy.counters.resetsInjected).toBeGreaterThan(200);
  });
});
