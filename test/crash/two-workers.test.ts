import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteQueueStore } from '../../src/node/sqlite-queue-store.js';
import { OperationQueue } from '../../src/queue/operation-queue.js';
import { createServer } from '../../src/server/index.js';
import { postOperations, tempDir } from '../integration/support/queue-fixtures.js';

const DRAINER = join(import.meta.dirname, 'support/drainer.ts');
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function drain(path: string): {
  child: ChildProcess;
  exited: Promise<number | null>;
  completed: () => number;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', DRAINER, path], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (text: string) => {
    output += text;
  });
  return {
    child,
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
    completed: () => Number(/drained (\d+)/.exec(output)?.[1] ?? Number.NaN),
  };
}

describe('two processes on one queue file', () => {
  it('share the work without ever running the same item twice', async () => {
    const server = createServer({ dataDir: tempDir('lifeline-two-server-'), port: 0, synchronous: 'normal' });
    await server.start();
    cleanup.push(() => server.stop());
    let replays = 0;
    server.on('operation', ({ replayed }) => {
      if (replayed) replays++;
    });
    const path = join(tempDir('lifeline-two-queue-'), 'queue.db');
    const writer = new OperationQueue({ store: new SqliteQueueStore({ path }) });
    await writer.enqueueMany(postOperations(`${server.url}/ops/shared`, 400));
    await writer.close();

    const [first, second] = [drain(path), drain(path)];
    expect(await first.exited).toBe(0);
    expect(await second.exited).toBe(0);
    expect(first.completed() + second.completed()).toBe(400);
    expect(Math.min(first.completed(), second.completed())).toBeGreaterThan(0);

    expect(server.operationCount).toBe(400);
    expect([...server.appliedCountByKey().values()].every((count) => count === 1)).toBe(true);
    // Each item was sent exactly once: no claim was ever held by both processes.
    expect(replays).toBe(0);
    const store = new SqliteQueueStore({ path });
    expect(await store.counts()).toMatchObject({ completed: 400, pending: 0, running: 0 });
    await store.close();
  }, 120_000);
});
