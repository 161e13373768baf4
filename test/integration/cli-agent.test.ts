import { writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteQueueStore } from '../../src/node/sqlite-queue-store.js';
import { OperationQueue } from '../../src/queue/operation-queue.js';
import { createServer, type LifelineServer } from '../../src/server/index.js';
import { ChaosProxy } from '../../src/testing/index.js';
import { lifelineAsync, type RunningCommand, startLifeline } from './support/cli.js';
import { postOperations, tempDir } from './support/queue-fixtures.js';
import { sleep, until, untilAsync } from './support/tcp.js';

const cleanup: Array<() => Promise<void>> = [];
let agent: RunningCommand | undefined;
afterEach(async () => {
  agent?.child.kill('SIGKILL');
  agent = undefined;
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function setup() {
  const server: LifelineServer = createServer({
    dataDir: tempDir('lifeline-server-'),
    port: 0,
    synchronous: 'normal',
  });
  await server.start();
  const proxy = await new ChaosProxy({ upstream: { port: server.port } }).start();
  cleanup.push(
    () => server.stop(),
    () => proxy.stop(),
  );
  const home = tempDir('lifeline-home-');
  const cwd = tempDir('lifeline-cwd-');
  writeFileSync(
    join(cwd, 'lifeline.config.json'),
    JSON.stringify({
      server: proxy.url,
      probe: { intervalMs: 300, timeoutMs: 2000 },
      queue: { synchronous: 'normal' },
    }),
  );
  const env = { LIFELINE_HOME: home };
  return { server, proxy, home, cwd, env, queuePath: join(home, 'queue.db') };
}

const events = (command: RunningCommand) =>
  command.lines
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

async function pendingIn(path: string): Promise<{ pending: number; completed: number }> {
  const store = new SqliteQueueStore({ path });
  try {
    return await store.counts();
  } finally {
    await store.close();
  }
}

describe('lifeline agent', () => {
  it('keeps work pending through an outage and drains it within a second or two of the link coming back', async () => {
    const { proxy, server, cwd, env, queuePath } = await setup();
    await proxy.refuse({ resetExisting: true });
    agent = startLifeline(['agent', '--json'], { cwd, env });
    const running = agent;
    await until(
      () => events(running).some((event) => event.event === 'link' && event.state === 'offline'),
      20_000,
      'the agent to see the outage',
    );

    const writer = new OperationQueue({ store: new SqliteQueueStore({ path: queuePath }) });
    await writer.enqueueMany(postOperations(`${proxy.url}/ops/offline`, 20));
    await writer.close();
    await sleep(1000);
    const status = await lifelineAsync(['queue', 'status', '--json'], { cwd, env });
    expect(status.status).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ pending: 20, completed: 0 });
    expect(server.operationCount).toBe(0);

    await proxy.accept();
    const backAt = Date.now();
    await untilAsync(async () => (await pendingIn(queuePath)).completed === 20, 10_000, 'the queue to drain');
    expect(Date.now() - backAt).toBeLessThan(2500);
    expect(server.operationCount).toBe(20);

    running.child.kill('SIGINT');
    expect(await running.exited).toBe(0);
    expect(events(running).at(-1)).toMatchObject({ event: 'stopped', pending: 0, completed: 20 });
  });

  it('--once drains what is due and exits 0; exits 1 when the link is down', async () => {
    const { proxy, server, cwd, env, queuePath } = await setup();
    const writer = new OperationQueue({ store: new SqliteQueueStore({ path: queuePath }) });
    await writer.enqueueMany(postOperations(`${proxy.url}/ops/once`, 5));
    await writer.close();
    const drained = await lifelineAsync(['agent', '--once'], { cwd, env });
    expect(drained.status, drained.stdout + drained.stderr).toBe(0);
    expect(drained.stdout).toContain('stopped: 0 pending, 0 dead, 5 completed');
    expect(server.operationCount).toBe(5);

    // An operation that goes dead in the run fails it, though nothing stays pending.
    await lifelineAsync(['queue', 'add', `${proxy.url}/nowhere`, '--data', '{}'], { cwd, env });
    const died = await lifelineAsync(['agent', '--once'], { cwd, env });
    expect(died.status, died.stdout + died.stderr).toBe(1);
    expect(died.stdout).toContain('stopped: 0 pending, 1 dead, 5 completed');

    await proxy.refuse({ resetExisting: true });
    await lifelineAsync(['queue', 'add', `${proxy.url}/ops/once`, '--data', '{}'], { cwd, env });
    const stuck = await lifelineAsync(['agent', '--once', '--wait', '1s'], { cwd, env });
    expect(stuck.status).toBe(1);
    expect(stuck.stdout).toContain('the link is down; 1 operation stays queued');
  });

  it('--once waits for a retry that comes due within --wait, and leaves a later one queued', async () => {
    const { cwd, env } = await setup();
    // A real server that answers the first POST 503 with Retry-After: 3 (longer than an attempt sleeps
    // through: the queue schedules the retry), and every later one 200. (The agent's link probes, which
    // ask the servers queued work goes to, are answered and not counted.)
    let requests = 0;
    const flaky = createHttpServer((req, res) => {
      if (req.method !== 'POST') return void res.writeHead(204).end();
      requests++;
      if (requests === 1) res.writeHead(503, { 'retry-after': '3' }).end();
      else res.writeHead(200).end('{}');
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => flaky.close(() => resolve())));
    const url = `http://127.0.0.1:${(flaky.address() as { port: number }).port}/ops`;

    await lifelineAsync(['queue', 'add', url, '--data', '{}'], { cwd, env });
    const tooShort = await lifelineAsync(['agent', '--once', '--wait', '1s'], { cwd, env });
    expect(tooShort.status, tooShort.stdout + tooShort.stderr).toBe(1); // due in 3 s: stays queued
    expect(tooShort.stdout).toContain('stopped: 1 pending, 0 dead, 0 completed');

    const drained = await lifelineAsync(['agent', '--once'], { cwd, env }); // --wait 10s
    expect(drained.status, drained.stdout + drained.stderr).toBe(0);
    expect(drained.stdout).toContain('stopped: 0 pending, 0 dead, 1 completed');
    expect(requests).toBe(2);

    // A paused queue runs nothing: --once says so and stops, instead of waiting for ever.
    await lifelineAsync(['queue', 'add', url, '--data', '{}'], { cwd, env });
    await lifelineAsync(['queue', 'pause'], { cwd, env });
    const paused = await lifelineAsync(['agent', '--once'], { cwd, env });
    expect(paused.status).toBe(1);
    expect(paused.stdout).toContain('the queue is paused; 1 operation stays queued');
    expect(requests).toBe(2);
  });

  it('--once gives retries one --wait window from its start, however often they come due again', async () => {
    const { cwd, env } = await setup();
    let posts = 0;
    const busy = createHttpServer((req, res) => {
      if (req.method === 'POST') posts++;
      res.writeHead(req.method === 'POST' ? 503 : 204, { 'retry-after': '3' }).end(); // always "in 3 s"
    });
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => busy.close(() => resolve())));
    const url = `http://127.0.0.1:${(busy.address() as { port: number }).port}/ops`;
    await lifelineAsync(['queue', 'add', url, '--data', '{}'], { cwd, env });
    const startedAtMs = Date.now();
    const result = await lifelineAsync(['agent', '--once', '--wait', '4s'], { cwd, env });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('stopped: 1 pending');
    expect(posts).toBe(2); // at once, and 3 s later; the next, 6 s in, is past the window
    expect(Date.now() - startedAtMs).toBeLessThan(12_000); // a sliding window ran until attempts ran out
  });

  it('warns when another agent already sends the queue; refuses --wait without --once', async () => {
    const { cwd, env } = await setup();
    const refused = await lifelineAsync(['agent', '--wait', '5s'], { cwd, env });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('--wait goes with --once');

    agent = startLifeline(['agent', '--json'], { cwd, env });
    const first = agent;
    // The agent's health snapshot (written every 2 s) is what tells other commands it runs.
    await untilAsync(
      async () => (await lifelineAsync(['queue', 'status', '--json'], { cwd, env })).stdout.includes('"pid"'),
      15_000,
      'the first agent to be seen',
    );
    const second = await lifelineAsync(['agent', '--once', '--wait', '1s'], { cwd, env });
    expect(second.stderr).toContain(`another agent (pid ${first.child.pid}) already sends this queue`);
  });
});
