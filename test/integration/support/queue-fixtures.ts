import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFetch } from '../../../src/http/resilient-fetch.js';
import { createDurableQueue, type DurableQueueOptions } from '../../../src/node/durable-queue.js';
import { createUndiciFetch } from '../../../src/node/undici-fetch.js';
import { constantBackoff } from '../../../src/policy/backoff.js';
import { PolicyRegistry } from '../../../src/policy/registry.js';
import { httpHandler, httpOperation } from '../../../src/queue/http-operation.js';
import type { OperationQueue } from '../../../src/queue/operation-queue.js';

export const tempDir = (prefix = 'lifeline-') => mkdtempSync(join(tmpdir(), prefix));

/** A durable queue with the `http` kind, as the agent builds it, tuned for fast tests. */
export function httpQueue(options: DurableQueueOptions & { keepAlive?: boolean }): {
  queue: OperationQueue;
  close(): Promise<void>;
} {
  const { keepAlive, ...queueOptions } = options;
  const transport = createUndiciFetch(keepAlive === undefined ? {} : { keepAlive });
  const fetch = createFetch({
    fetch: transport.fetch,
    registry: new PolicyRegistry(),
    maxAttempts: 2,
    backoff: constantBackoff(10),
    timeoutMs: 5000,
    circuitBreaker: false,
  });
  const queue = createDurableQueue({
    backoff: constantBackoff(20),
    maxAttempts: 50,
    pollIntervalMs: 100,
    ...queueOptions,
  });
  queue.handle('http', httpHandler({ fetch }));
  return {
    queue,
    async close() {
      await queue.close();
      await transport.close();
    },
  };
}

/** `count` POSTs to `url`, each a separate operation with its own idempotency key. */
export function postOperations(url: string, count: number) {
  return Array.from({ length: count }, (_, i) => ({
    kind: 'http',
    payload: httpOperation({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ i }),
    }),
  }));
}
