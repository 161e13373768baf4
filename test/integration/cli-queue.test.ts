import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processOwner } from '../../src/node/process-owner.js';
import { SqliteQueueStore } from '../../src/node/sqlite-queue-store.js';
import type { QueueItem } from '../../src/queue/types.js';
import { createServer, type LifelineServer } from '../../src/server/index.js';
import { lifelineAsync } from './support/cli.js';
import { tempDir } from './support/queue-fixtures.js';
import { closedPort } from './support/tcp.js';

let server: LifelineServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function setup() {
  server = createServer({ dataDir: tempDir('lifeline-server-'), port: 0, synchronous: 'normal' });
  await server.start();
  const cwd = tempDir('lifeline-cwd-');
  writeFileSync(
    join(cwd, 'lifeline.config.json'),
    JSON.stringify({ server: server.url, queue: { synchronous: 'normal' } }),
  );
  const env = { LIFELINE_HOME: tempDir('lifeline-home-') };
  const run = (...args: string[]) => lifelineAsync(args, { cwd, env });
  return { server, cwd, run, home: env.LIFELINE_HOME };
}

// Each test runs the command a dozen times or more, each a fresh Node process (about a second on 2 CPUs).
describe('lifeline queue', { timeout: 60_000 }, () => {
  it('adds requests (relative or absolute, JSON or @file), lists them by priority, and syncs them to the server', async () => {
    const { server, cwd, run } = await setup();
    writeFileSync(join(cwd, 'body.json'), '{"from":"file"}');
    const first = await run('queue', 'add', '/ops/notes', '--data', '{"n":1}');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(
      /^queued #1 POST 127\.0\.0\.1:\d+\/ops\/notes \(idempotency key [0-9a-f-]{36}\)/,
    );
    await run(
      'queue',
      'add',
      `${server.url}/ops/notes`,
      '--data',
      '@body.json',
      '--priority',
      '9',
      '--key',
      'mine-1',
    );
    await run(
      'queue',
      'add',
      '/ops/notes',
      '--method',
      'post',
      '--header',
      'X-Trace: abc',
      '--data',
      'plain text',
    );

    const listed = JSON.parse((await run('queue', 'list', '--json')).stdout) as QueueItem[];
    expect(listed.map((item) => [item.id, item.priority, item.status])).toEqual([
      [2, 9, 'pending'],
      [1, 0, 'pending'],
      [3, 0, 'pending'],
    ]);
    expect(listed[0]).toMatchObject({
      idempotencyKey: 'mine-1',
      payload: { body: '{"from":"file"}', headers: { 'content-type': 'application/json' } },
    });
    expect(listed[2]?.payload).toMatchObject({
      method: 'POST',
      headers: { 'X-Trace': 'abc', 'content-type': 'text/plain; charset=utf-8' },
    });

    const human = await run('queue', 'list');
    expect(human.stdout).toMatch(/ID\s+STATUS\s+PRI\s+TRIES\s+NEXT\s+AGE\s+OPERATION/);
    expect(human.stdout).toMatch(/#2\s+pending\s+9\s+0\/10\s+now/);

    const sync = await run('queue', 'sync');
    expect(sync.status, sync.stdout + sync.stderr).toBe(0);
    expect(sync.stdout).toContain('sending 3 pending operations');
    expect(sync.stdout).toMatch(/✓ #2 POST 127\.0\.0\.1:\d+\/ops\/notes/);
    expect(sync.stdout).toContain(
      'sent 3 of 3; 0 will be retried, 0 dead, 0 waiting for the link; 0 pending now',
    );
    expect(server.operationCount).toBe(3);
    expect(server.appliedCountByKey().get('mine-1')).toBe(1);
    const idle = await run('queue', 'sync'); // one line, not "nothing to send" and then "sent 0 of 0"
    expect([idle.status, idle.stdout]).toEqual([0, 'nothing to send\n']);
    const status = JSON.parse((await run('queue', 'status', '--json')).stdout);
    expect(status).toMatchObject({ pending: 0, completed: 3, agent: null });
    // Not this command's own idle worker (link unknown, workerStarted false): only what is stored.
    expect(Object.keys(status)).not.toContain('workerStarted');
    expect(Object.keys(status)).not.toContain('link');
  });

  it('shows dead items with their reason, brings them back with retry, removes and clears', async () => {
    const { run } = await setup();
    await run('queue', 'add', '/nowhere', '--data', '{}');
    const sync = await run('queue', 'sync');
    expect(sync.status).toBe(1);
    expect(sync.stdout).toMatch(/✗ #1 POST .*\/nowhere is dead: permanent failure: HTTP 404 Not Found/);
    const status = await run('queue', 'status');
    expect(status.stdout).toMatch(/dead\s+1/);
    expect(status.stdout).toContain("Use 'lifeline queue list --status dead' to see why");
    expect((await run('queue', 'list', '--status', 'dead')).stdout).toContain(
      'permanent failure: HTTP 404 Not Found',
    );

    expect((await run('queue', 'retry', '1')).stdout).toContain('1 dead item back in the queue');
    const notDead = await run('queue', 'retry', '1');
    expect(notDead.status).toBe(2);
    expect(notDead.stderr).toContain('#1 is pending, not dead');
    expect((await run('queue', 'retry', '9999')).stderr).toContain('no item #9999 in the queue');
    expect(JSON.parse((await run('queue', 'status', '--json')).stdout)).toMatchObject({
      pending: 1,
      dead: 0,
    });
    expect((await run('queue', 'remove', '1')).stdout).toMatch(/removed #1 POST/);
    expect((await run('queue', 'remove', '1')).status).toBe(2);

    await run('queue', 'add', '/ops/a', '--data', '{}');
    expect((await run('queue', 'clear')).stdout).toContain('cleared 0 completed or dead items');
    expect((await run('queue', 'clear', '--all')).stdout).toContain('cleared 1 item (running ones stay)');
  });

  it('an idempotency key already stored: the same request is not queued again, another is refused', async () => {
    const { server, cwd, run } = await setup();
    writeFileSync(join(cwd, 'body.json'), '{"from":"file"}');
    await run('queue', 'add', '/ops/zero', '--data', '{}');
    await run('queue', 'add', `${server.url}/ops/notes`, '--data', '@body.json', '--key', 'mine-1');
    expect((await run('queue', 'sync')).status).toBe(0);
    // The same key again: the same request is already sent; another request is refused, not dropped silently.
    const again = await run(
      'queue',
      'add',
      `${server.url}/ops/notes`,
      '--data',
      '@body.json',
      '--key',
      'mine-1',
    );
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(
      /^already queued as #2 POST .*\/ops\/notes, completed \(idempotency key mine-1\): nothing new queued/,
    );
    const other = await run('queue', 'add', '/ops/notes', '--data', '{"n":5}', '--key', 'mine-1');
    expect(other.status).toBe(1);
    expect(other.stderr).toContain('not queued: idempotency key mine-1 belongs to #2 POST');
    expect(other.stderr).toContain('a different request; an operation is sent once per key');
    const otherJson = await run('queue', 'add', '/ops/x', '--key', 'mine-1', '--json');
    expect(otherJson.status).toBe(1);
    expect(JSON.parse(otherJson.stdout)).toMatchObject({ id: 2, fresh: false, refused: true });
    // The same request written with its headers in another order or case is the same request.
    const headed = await run(
      'queue',
      'add',
      '/ops/h',
      '--header',
      'X-Trace: a',
      '--header',
      'X-Span: b',
      '--key',
      'h-1',
    );
    const id = /^queued #(\d+)/.exec(headed.stdout)?.[1];
    const reordered = await run(
      'queue',
      'add',
      '/ops/h',
      '--header',
      'x-span: b',
      '--header',
      'x-trace: a',
      '--key',
      'h-1',
    );
    expect(reordered.status, reordered.stderr).toBe(0);
    expect(reordered.stdout).toMatch(new RegExp(`^already queued as #${id} `));
    expect((await run('queue', 'remove', id as string)).status).toBe(0);
    expect(JSON.parse((await run('queue', 'status', '--json')).stdout)).toMatchObject({ pending: 0 });
  });

  it('queue actions read their flags strictly, refuse stray arguments and take --json', async () => {
    const { run } = await setup();
    // Every action reads its flags strictly, takes --json, and no stray arguments.
    const typo = await run('queue', 'pause', '--bogus');
    expect(typo.status).toBe(2);
    expect(typo.stderr).toContain("Unknown option '--bogus'");
    const extra = await run('queue', 'remove', '1', '2');
    expect(extra.status).toBe(2);
    expect(extra.stderr).toContain("queue remove takes one item id, not '1 2'");
    expect(JSON.parse((await run('queue', 'resume', '--json')).stdout)).toEqual({ event: 'resumed' });
    expect(JSON.parse((await run('queue', 'retry', '--json')).stdout)).toEqual({
      event: 'retried',
      count: 0,
    });

    expect(JSON.parse((await run('queue', 'clear', '--json')).stdout)).toEqual({
      event: 'cleared',
      count: 0,
    });
    expect(JSON.parse((await run('queue', 'purge', '--json')).stdout)).toEqual({ event: 'purged', count: 0 });
  });

  it('pause and resume are kept in the store, and a sync obeys them', async () => {
    const { server, run } = await setup();
    await run('queue', 'pause');
    expect((await run('queue', 'status')).stdout).toMatch(/paused\s+yes/);
    expect(JSON.parse((await run('queue', 'status', '--json')).stdout).paused).toBe(true);
    await run('queue', 'add', '/ops/held', '--data', '{}');
    const held = await run('queue', 'sync');
    expect(held.status).toBe(1);
    expect(held.stdout).toContain(
      "the queue is paused: nothing sent; 1 operation pending ('lifeline queue resume' lets them go)",
    );
    const heldJson = JSON.parse(
      (await run('queue', 'sync', '--json')).stdout.trim().split('\n').at(-1) ?? '',
    );
    expect(heldJson).toMatchObject({ event: 'summary', paused: true, attempted: 0, remaining: 1 });
    expect(server.operationCount).toBe(0);
    await run('queue', 'resume');
    expect(JSON.parse((await run('queue', 'status', '--json')).stdout).paused).toBe(false);
    const sent = await run('queue', 'sync');
    expect(sent.status, sent.stdout + sent.stderr).toBe(0);
    expect(server.operationCount).toBe(1);
  });

  it('refuses credentials and bad input with a clear message and exit code 2', async () => {
    const { run } = await setup();
    const secret = await run('queue', 'add', '/ops/x', '--header', 'Authorization: Bearer abc');
    expect(secret.status).toBe(2);
    expect(secret.stderr).toContain(
      'Authorization would be stored in the queue on disk; put it in lifeline.config.json under http.headers',
    );
    expect((await run('queue', 'add')).stderr).toContain('queue add needs a URL');
    expect((await run('queue', 'add', 'ftp://host/x')).stderr).toContain(
      'only http and https URLs can be queued',
    );
    expect((await run('queue', 'add', '/x', '--priority', 'high')).stderr).toContain(
      "--priority: use an integer, not 'high'",
    );
    expect((await run('queue', 'list', '--status', 'lost')).stderr).toContain(
      '--status: use one of pending, running, completed, dead',
    );
    for (const limit of ['abc', '1.5', '0']) {
      const listed = await run('queue', 'list', '--limit', limit);
      expect(listed.status).toBe(2);
      expect(listed.stderr).toContain(`--limit: use a whole number of at least 1, not '${limit}'`);
    }
    expect((await run('queue', 'purge', '--older-than', '1d')).status).toBe(0); // as its help shows
    const negative = await run('queue', 'add', '/ops/low', '--priority', '-5');
    expect(negative.status, negative.stderr).toBe(0); // written the plain way, not only as --priority=-5
    const listed = JSON.parse((await run('queue', 'list', '--json')).stdout) as Array<{ priority: number }>;
    expect(listed.map((item) => item.priority)).toContain(-5);
    expect((await run('queue', 'frobnicate')).stderr).toContain("unknown queue command 'frobnicate'");
    expect((await run('queue', 'remove', 'x')).stderr).toContain('queue remove needs an item id');
    const typo = await run('queue', 'add', '/ops/x', '--method', 'FETCH');
    expect(typo.status).toBe(2);
    expect(typo.stderr).toContain(
      "--method: use one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, not 'FETCH'",
    );
    expect((await run('queue', 'add', '/ops/x', '--method', 'put')).status).toBe(0);
  });

  it('reads --config in either form, like every other command', async () => {
    const { cwd, run } = await setup();
    const other = join(cwd, 'other.json');
    writeFileSync(other, JSON.stringify({ queue: { concurrency: 'many' } }));
    for (const args of [['--config', other], [`--config=${other}`]]) {
      const result = await run('queue', 'status', ...args);
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toContain('other.json');
      expect(result.stderr, args.join(' ')).toContain('queue.concurrency');
    }
    expect((await run('queue', 'status', '--config')).stderr).toContain('--config needs a path');
  });

  it('says an open breaker holds an item back, and when it tries again, once', async () => {
    const { server, cwd, run } = await setup();
    const dead = `127.0.0.1:${await closedPort()}`;
    writeFileSync(
      join(cwd, 'lifeline.config.json'),
      JSON.stringify({
        server: server.url,
        queue: { synchronous: 'normal' },
        circuits: { [dead]: { consecutiveFailures: 1, resetTimeoutMs: 60_000 } },
      }),
    );
    await run('queue', 'add', `http://${dead}/ops/a`, '--data', '{}');
    const sync = await run('queue', 'sync');
    expect(sync.stdout).toMatch(
      /↻ #1 POST 127\.0\.0\.1:\d+\/ops\/a held back: circuit '.*' is open \(.*\); calls fail fast — next trial call in [\d.]+s \(nothing sent, no attempt spent\)/,
    );
    expect(sync.stdout).not.toMatch(/next trial call in [\d.]+s — retrying in/);
    // Listed later, it says no countdown that would be stale by then: NEXT says when.
    expect((await run('queue', 'list')).stdout).toMatch(
      /#1\s+pending\s+0\s+0\/\d+\s+in \S+\s+\S+ ago\s+POST .*held back: circuit '.*' is open \(.*\)\n/,
    );
  });

  it('sync says an item another live process is running is not its to send', async () => {
    const { run, home } = await setup();
    await run('queue', 'add', '/ops/busy', '--data', '{}');
    const store = new SqliteQueueStore({ path: join(home, 'queue.db') });
    try {
      // This test's own process holds it, as a running agent would.
      const nowMs = Date.now();
      const owner = processOwner();
      await store.claim({ nowMs, owner, leaseUntilMs: nowMs + 60_000, kinds: ['http'], limit: 1 });
      const sync = await run('queue', 'sync');
      expect([sync.status, sync.stdout]).toEqual([
        0,
        'nothing to send here: 1 item running in another process\n',
      ]);
    } finally {
      await store.close();
    }
  });
});
