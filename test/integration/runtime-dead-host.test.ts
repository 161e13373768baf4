import { afterEach, describe, expect, it } from 'vitest';
import { openRuntime, type Runtime } from '../../src/node/runtime.js';
import { startedServers } from './support/servers.js';
import { closedPort, untilAsync } from './support/tcp.js';
import { lifelineWorkspace } from './support/workspace.js';

const servers = startedServers('lifeline-dead-host-');
let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.queue.stop();
  await runtime?.connectivity.stop();
  await runtime?.close();
  runtime = undefined;
});

describe('one dead server does not hold up the others (the agent’s runtime)', () => {
  it('sends to a live server at once while the dead one’s breaker is open, and keeps its concurrency', async () => {
    const server = await servers.started({ synchronous: 'normal' });
    const deadHost = `127.0.0.1:${await closedPort()}`;
    runtime = await openRuntime(
      lifelineWorkspace(server.url, {
        probe: { intervalMs: 1000 },
        circuits: { [deadHost]: { consecutiveFailures: 2, resetTimeoutMs: 60_000 } },
      }),
    );
    const { queue, connectivity, fetch, quality } = runtime;
    connectivity.start();
    queue.start();
    await queue.enqueueMany(
      [1, 2, 3].map((n) => ({
        kind: 'http',
        payload: { method: 'POST', url: `http://${deadHost}/ops/${n}` },
      })),
    );
    await untilAsync(async () => fetch.breakerFor(deadHost)?.state === 'open', 10_000, 'the breaker to open');
    // The dead server's items wait in the queue for the breaker's trial, not in the worker's slots.
    await untilAsync(
      async () => (await queue.list({ status: 'pending' })).length === 3,
      10_000,
      'the dead server’s items to go back to the queue',
    );
    for (const item of await queue.list({ status: 'pending' }))
      expect(item.nextAttemptAtMs - Date.now()).toBeGreaterThan(30_000);

    const [live] = await queue.enqueueMany([
      { kind: 'http', payload: { method: 'POST', url: `${server.url}/ops/live`, body: 'hello' } },
    ]);
    await untilAsync(
      async () => (await queue.get(live?.id as number))?.status === 'completed',
      10_000,
      'the live server’s item to be sent',
    );
    expect(server.operationCount).toBe(1);
    expect(fetch.breakerFor(deadHost)?.state).toBe('open'); // it did not wait out the breaker
    // Refusals are the dead host's answer, not the link's loss: the advice is not cut to one slot (4 on
    // an excellent link, 2 on a good one: a busy machine's loopback can measure "good").
    expect(quality.snapshot().lossRate).toBe(0);
    expect(quality.recommendations().concurrency).toBeGreaterThan(1);
  }, 30_000);
});
