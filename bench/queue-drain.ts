/**
 * The contenders of bench/queue's drain section: a durable queue with the built-in `http` kind, wired as
 * the agent wires it (src/node/runtime.ts), and hand-written client loops at the same concurrency, all
 * POSTing to the embedded server, which runs in a worker thread (bench/queue-server.ts).
 */
import { randomUUID } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Agent as UndiciAgent, request as undiciRequest } from 'undici';
import { createFetch } from '../src/http/resilient-fetch.js';
import { createDurableQueue } from '../src/node/durable-queue.js';
import { createUndiciFetch } from '../src/node/undici-fetch.js';
import { PolicyRegistry } from '../src/policy/registry.js';
import { httpHandler } from '../src/queue/http-operation.js';
import { postOperations } from '../test/integration/support/queue-fixtures.js';
import { type Synchronous, tempDir } from './queue-sqlite.js';

export interface BenchServer {
  /** `http://127.0.0.1:port` */
  url: string;
  /** Operations the server applied, and keys it applied more than once. */
  counts(): Promise<{ count: number; duplicates: number }>;
  stop(): Promise<void>;
}

/** Starts the embedded server (synchronous 'normal') in a worker thread, in a fresh temp dir. */
export async function startServer(): Promise<BenchServer> {
  const dir = tempDir('lifeline-bench-server-');
  const worker = new Worker(new URL('./queue-server.js', import.meta.url), {
    workerData: { dataDir: dir.path },
  });
  const next = <T>() =>
    new Promise<T>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  const { url } = await next<{ url: string }>();
  return {
    url,
    counts: () => {
      const reply = next<{ count: number; duplicates: number }>();
      worker.postMessage('count');
      return reply;
    },
    async stop() {
      const stopped = next();
      worker.postMessage('stop');
      await stopped;
      await worker.terminate();
      dir.remove();
    },
  };
}

/** Runs `send(0 … total-1)` from `concurrency` async loops; returns the seconds it took. */
async function concurrently(total: number, concurrency: number, send: (i: number) => Promise<void>) {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await send(next++);
    }),
  );
  return (performance.now() - start) / 1000;
}

const headersFor = (key: string) => ({ 'Idempotency-Key': key, 'content-type': 'application/json' });

function expectOk(status: number): void {
  if (status < 200 || status >= 300) throw new Error(`bench/queue: the server answered ${status}`);
}

/** The peer the bar names: global fetch, reading each body. */
export function fetchLoop(url: string, total: number, concurrency: number): Promise<number> {
  return concurrently(total, concurrency, async (i) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: headersFor(randomUUID()),
      body: JSON.stringify({ i }),
    });
    await response.text();
    expectOk(response.status);
  });
}

/** For scale: node:http with a keep-alive agent, the cheapest client here. */
export async function nodeHttpLoop(url: string, total: number, concurrency: number): Promise<number> {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: concurrency });
  const send = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const req = httpRequest(url, { method: 'POST', agent, headers: headersFor(randomUUID()) }, (res) => {
        res.on('data', () => {});
        res.on('end', () => {
          try {
            expectOk(res.statusCode ?? 0);
            resolve();
          } catch (error) {
            reject(error);
          }
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(JSON.stringify({ i }));
    });
  try {
    return await concurrently(total, concurrency, send);
  } finally {
    agent.destroy();
  }
}

/** For scale: undici `request` on its own pool — the transport under the queue's http kind, bare. */
export async function undiciLoop(url: string, total: number, concurrency: number): Promise<number> {
  const dispatcher = new UndiciAgent({ connections: concurrency });
  try {
    return await concurrently(total, concurrency, async (i) => {
      const { statusCode, body } = await undiciRequest(url, {
        method: 'POST',
        headers: headersFor(randomUUID()),
        body: JSON.stringify({ i }),
        dispatcher,
      });
      await body.text();
      expectOk(statusCode);
    });
  } finally {
    await dispatcher.close();
  }
}

/**
 * A durable queue at `maxConcurrency` on a fresh file: `total` POSTs enqueued first (not timed), then
 * timed from `start()` until `status()` shows them all completed. Returns the seconds.
 */
export async function queueDrain(
  url: string,
  total: number,
  concurrency: number,
  synchronous: Synchronous,
): Promise<number> {
  const dir = tempDir('lifeline-bench-queue-');
  const transport = createUndiciFetch();
  // As src/node/runtime.ts builds it: undici transport, 3 attempts, a breaker per host (the default).
  const fetch = createFetch({ fetch: transport.fetch, registry: new PolicyRegistry(), maxAttempts: 3 });
  const queue = createDurableQueue({
    path: join(dir.path, 'queue.db'),
    synchronous,
    maxConcurrency: concurrency,
  });
  queue.handle('http', httpHandler({ fetch }));
  let watchdog: NodeJS.Timeout | undefined;
  try {
    await queue.enqueueMany(postOperations(url, total));
    (globalThis as { gc?: () => void }).gc?.();
    let settled = 0;
    const finished = new Promise<void>((resolve, reject) => {
      const settle = () => {
        if (++settled === total) resolve();
      };
      queue.on('completed', settle);
      queue.on('dead', ({ reason }) => reject(new Error(`bench/queue: an item died: ${reason}`)));
      watchdog = setTimeout(
        () => reject(new Error(`bench/queue: drain stuck at ${settled}/${total}`)),
        300_000,
      );
    });
    const start = performance.now();
    queue.start();
    await finished;
    const status = await queue.status();
    const seconds = (performance.now() - start) / 1000;
    if (status.completed !== total) throw new Error(`bench/queue: ${status.completed}/${total} completed`);
    return seconds;
  } finally {
    clearTimeout(watchdog);
    await queue.close();
    await transport.close();
    dir.remove();
  }
}
