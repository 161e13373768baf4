import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/random.js';
import { SqliteQueueStore } from '../../src/node/sqlite-queue-store.js';
import { OperationQueue } from '../../src/queue/operation-queue.js';
import { createServer } from '../../src/server/index.js';
import { ChaosProxy } from '../../src/testing/index.js';
import { postOperations, tempDir } from '../integration/support/queue-fixtures.js';
import { sleep } from '../integration/support/tcp.js';

const DRAINER = join(import.meta.dirname, 'support/drainer.ts');
const OPERATIONS = 1000;
const KILLS = 20;

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** Starts the drainer and resolves once it has opened the queue and started working. */
function startDrainer(path: string): {
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<number | null>;
  output: () => string;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', DRAINER, path], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    text += chunk;
  });
  const ready = new Promise<void>((resolve) => {
    child.stdout?.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('ready')) resolve();
    });
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, ready, exited, output: () => text };
}

describe('crash test', () => {
  it(`a drainer killed with SIGKILL ${KILLS} times still applies each of ${OPERATIONS} operations exactly once`, async () => {
    const server = createServer({
      dataDir: tempDir('lifeline-crash-server-'),
      port: 0,
      synchronous: 'normal',
    });
    await server.start();
    cleanup.push(() => server.stop());
    // 20 ms each way keeps each operation in flight long enough for kills to land mid-request.
    const proxy = await new ChaosProxy({
      upstream: { port: server.port },
      toxics: [{ type: 'latency', latencyMs: 20 }],
    }).start();
    cleanup.push(() => proxy.stop());

    const path = join(tempDir('lifeline-crash-queue-'), 'queue.db');
    const writer = new OperationQueue({ store: new SqliteQueueStore({ path }) });
    const items = await writer.enqueueMany(postOperations(`${proxy.url}/ops/crash`, OPERATIONS));
    await writer.close();

    const random = seededRandom(2026);
    const appliedAtKill: number[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      const drainer = startDrainer(path);
      await drainer.ready;
      await sleep(40 + random() * 260);
      drainer.child.kill('SIGKILL');
      await drainer.exited;
      appliedAtKill.push(server.operationCount);
    }
    const last = startDrainer(path);
    const code = await Promise.race([last.exited, sleep(120_000).then(() => 'timeout')]);
    expect(code, last.output()).toBe(0);
    expect(last.output()).toContain('drained');

    // The kills landed while work was going on, not before or after it.
    expect(appliedAtKill.filter((count) => count > 0 && count < OPERATIONS).length).toBeGreaterThanOrEqual(
      10,
    );

    const applied = server.appliedCountByKey();
    expect(applied.size).toBe(OPERATIONS);
    expect([...applied.entries()].filter(([, count]) => count !== 1)).toEqual([]);
    expect(new Set(applied.keys())).toEqual(new Set(items.map((item) => item.idempotencyKey)));

    const store = new SqliteQueueStore({ path });
    const counts = await store.counts();
    await store.close();
    expect(counts).toMatchObject({ completed: OPERATIONS, pending: 0, running: 0, dead: 0 });
  }, 300_000);
});
