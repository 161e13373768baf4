import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lifelineAsync, startLifeline } from './support/cli.js';
import { startedServers } from './support/servers.js';
import { closedPort, until } from './support/tcp.js';
import { sha256 } from './support/upload-fixtures.js';
import { lifelineWorkspace } from './support/workspace.js';

const servers = startedServers('lifeline-send-');

describe('lifeline send', () => {
  it('uploads a file with --wait and exits 0; a missing file is bad usage (exit 2)', async () => {
    const server = await servers.started({ synchronous: 'normal' });
    const { cwd, env } = lifelineWorkspace(server.url);
    const text = 'a report worth sending\n'.repeat(2000);
    writeFileSync(join(cwd, 'report.txt'), text);

    const sent = await lifelineAsync(['send', 'report.txt', '--wait', '--json'], { cwd, env });
    expect(sent.status, sent.stderr).toBe(0);
    expect(server.uploads()).toMatchObject([
      { filename: 'report.txt', sha256: sha256(Buffer.from(text)), verified: true },
    ]);

    const again = await lifelineAsync(['send', 'report.txt'], { cwd, env });
    expect(again.stdout).toMatch(
      /already sent #1 report\.txt \(.*\); to send it again: lifeline queue remove 1, then send it\n/,
    );
    const summary = JSON.parse(sent.stdout.trimEnd().split('\n').at(-1) as string);
    expect(summary).toMatchObject({ event: 'summary', sent: 1, at: expect.stringMatching(/^\d{4}-/) });

    // One missing name among good ones queues none of them, not the ones before it.
    writeFileSync(join(cwd, 'good.txt'), 'fine\n');
    const missing = await lifelineAsync(['send', 'good.txt', 'nowhere.bin', '--wait'], { cwd, env });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('nowhere.bin does not exist, so it cannot be uploaded');
    expect(missing.stderr).toContain("Run 'lifeline send --help' for usage.");
    expect(missing.stdout).not.toContain('good.txt');
    const status = JSON.parse((await lifelineAsync(['queue', 'status', '--json'], { cwd, env })).stdout);
    expect(status).toMatchObject({ pending: 0, completed: 1 });
    // A finished upload gets one line, with its size and where it went.
    const human = await lifelineAsync(['send', 'good.txt', '--wait'], { cwd, env });
    expect(human.status, human.stderr).toBe(0);
    expect(human.stdout.match(/✓ #/g)).toHaveLength(1);
    expect(human.stdout).toMatch(/✓ #2 good\.txt {2}5 B in \S+ → http/);

    // The worker runs what else was queued, too; the summary says so.
    await lifelineAsync(['queue', 'add', '/ops/notes', '--data', '{}'], { cwd, env });
    writeFileSync(join(cwd, 'more.txt'), 'more\n');
    const withOthers = await lifelineAsync(['send', 'more.txt', '--wait'], { cwd, env });
    expect(withOthers.status, withOthers.stderr).toBe(0);
    expect(withOthers.stdout).toContain('1 of 1 sent; the queue also sent 1 operation queued before\n');
    expect(server.operations().map((operation) => operation.kind)).toEqual(['notes']);
  });

  it('queue status names the process that uploads while no agent runs', async () => {
    const server = await servers.started({ synchronous: 'normal' });
    const { cwd, env } = lifelineWorkspace(server.url);
    writeFileSync(join(cwd, 'big.bin'), Buffer.alloc(2 * 1024 * 1024, 7));
    const sending = startLifeline(['send', 'big.bin', '--wait', '--limit', '64KB/s'], { cwd, env });
    try {
      let status: { running: number } = { running: 0 };
      for (let tries = 0; status.running === 0; tries++) {
        if (tries > 100) throw new Error('the upload never started');
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = JSON.parse((await lifelineAsync(['queue', 'status', '--json'], { cwd, env })).stdout);
      }
      const text = await lifelineAsync(['queue', 'status'], { cwd, env });
      expect(text.stdout).toMatch(
        new RegExp(`agent +not running; 1 item running in process ${sending.child.pid} \\(a send --wait`),
      );
      sending.child.kill('SIGKILL');
      await sending.exited;
      const after = await lifelineAsync(['queue', 'status'], { cwd, env });
      expect(after.stdout).toContain(
        `not running; items left running by 1 process that ended (${sending.child.pid}): the next agent or sync takes them back`,
      );
    } finally {
      sending.child.kill('SIGKILL');
      await sending.exited;
    }
  });
});

describe('lifeline send --wait to a server that is not there', () => {
  it('says why it waits for the link and what to check', async () => {
    const server = await servers.started({ synchronous: 'normal' });
    const { cwd, env } = lifelineWorkspace(server.url);
    writeFileSync(join(cwd, 'lost.bin'), Buffer.alloc(1000, 1));
    const port = await closedPort();
    const sending = startLifeline(['send', 'lost.bin', '--to', `http://127.0.0.1:${port}/files/`, '--wait'], {
      cwd,
      env,
    });
    try {
      const note = () => sending.lines.find((line) => line.includes('waiting for the link'));
      await until(() => note() !== undefined, 20_000, 'the waiting note');
      expect(note()).toMatch(
        new RegExp(
          `lost\\.bin: waiting for the link — http://127\\.0\\.0\\.1:${port}/files/: .*connection refused.*; is it the right address, and its server up\\?`,
        ),
      );
    } finally {
      sending.child.kill('SIGKILL');
      await sending.exited;
    }
  });
});

describe('lifeline send: a server that refuses the upload', () => {
  it('says why, from what the server said: too large, or not a tus endpoint at all', async () => {
    const server = await servers.started({ synchronous: 'normal', maxUploadBytes: 1000 });
    const { cwd, env } = lifelineWorkspace(server.url);
    writeFileSync(join(cwd, 'big.bin'), Buffer.alloc(2048, 1));
    const tooLarge = await lifelineAsync(['send', 'big.bin', '--wait'], { cwd, env });
    expect(tooLarge.status).toBe(1);
    expect(tooLarge.stdout).toMatch(/is dead: permanent failure: .*up to 1000 B; this one is 2\.0 KB/);

    writeFileSync(join(cwd, 'small.bin'), Buffer.alloc(10, 1));
    const nowhere = await lifelineAsync(['send', 'small.bin', '--to', `${server.url}/nope/`, '--wait'], {
      cwd,
      env,
    });
    expect(nowhere.status).toBe(1);
    expect(nowhere.stdout).toMatch(/is dead: permanent failure: .*is it a tus endpoint\? .*HTTP 404/);
  });
});

describe('lifeline queue sync with uploads', () => {
  it('tells at once that the server of an upload is down (a few quick tries), and sends it once it is back', async () => {
    const port = await closedPort();
    const { cwd, env } = lifelineWorkspace(`http://127.0.0.1:${port}`);
    writeFileSync(join(cwd, 'down.bin'), Buffer.alloc(64 * 1024, 1));
    expect((await lifelineAsync(['send', 'down.bin'], { cwd, env })).status).toBe(0);
    const down = await lifelineAsync(['queue', 'sync'], { cwd, env });
    // Three tries (two retries) about a second apart, not the ten over minutes an agent gives an upload.
    expect(down.status).toBe(1);
    expect(down.stdout.match(/#1 down\.bin: connection refused .* — retrying in/g)).toHaveLength(2);
    expect(down.stdout).toMatch(/↻ #1 upload down\.bin → 127\.0\.0\.1:\d+ failed: connection refused/);
    expect(down.stdout.trimEnd().split('\n').at(-1)).toBe(
      'sent 0 of 1; 1 will be retried, 0 dead, 0 waiting for the link; 1 pending now',
    );

    const server = await servers.started({ port, synchronous: 'normal' }); // the server is back
    const back = await lifelineAsync(['queue', 'sync'], { cwd, env });
    expect(back.status, back.stdout + back.stderr).toBe(0);
    expect(server.uploads()).toHaveLength(1);
    expect(back.stdout.match(/✓ #1 down\.bin/g)).toHaveLength(1);
    // Sent: the refused attempt before is history, not a reason shown beside it.
    const listed = await lifelineAsync(['queue', 'list', '--status', 'completed'], { cwd, env });
    expect(listed.stdout).toMatch(/#1\s+completed/);
    expect(listed.stdout).not.toContain('connection refused');
    expect(back.stdout.trimEnd().split('\n').at(-1)).toBe(
      'sent 1 of 1; 0 will be retried, 0 dead, 0 waiting for the link; 0 pending now',
    );
  });
});

describe('lifeline send --to', () => {
  it('judges the link by the endpoint it uploads to when that is not the configured server', async () => {
    const server = await servers.started({ synchronous: 'normal' });
    // The configured server is down: the link it would probe is offline, the upload's endpoint is not.
    const { cwd, env } = lifelineWorkspace(`http://127.0.0.1:${await closedPort()}`, {
      probe: { intervalMs: 300 },
    });
    writeFileSync(join(cwd, 'far.txt'), 'sent elsewhere\n'.repeat(500));
    const sent = await lifelineAsync(['send', 'far.txt', '--to', `${server.url}/files/`, '--wait'], {
      cwd,
      env,
    });
    expect(sent.status, sent.stderr).toBe(0);
    expect(sent.stdout).toContain('1 of 1 sent\n'); // and not "the rest stay queued": none is
    expect(server.uploads().map((upload) => upload.filename)).toEqual(['far.txt']);
  }, 30_000);

  it('is sent by the agent to another host (--to) while the configured server is down', async () => {
    const server = await servers.started({ synchronous: 'normal' });
    const { cwd, env } = lifelineWorkspace('http://127.0.0.1:9'); // nothing listens there
    writeFileSync(join(cwd, 'elsewhere.txt'), 'bound for another server\n');
    const queued = await lifelineAsync(['send', 'elsewhere.txt', '--to', `${server.url}/files/`], {
      cwd,
      env,
    });
    expect(queued.status, queued.stderr).toBe(0);

    // The configured server does not answer, the upload's does: the link is up, and the upload goes.
    const agent = await lifelineAsync(['agent', '--once', '--wait', '5s'], { cwd, env });
    expect(agent.status, agent.stdout + agent.stderr).toBe(0);
    expect(server.uploads().map((upload) => upload.filename)).toEqual(['elsewhere.txt']);
  }, 30_000);

  it('refuses an endpoint that is not an http(s) URL, before queueing anything', async () => {
    const { cwd, env } = lifelineWorkspace('http://127.0.0.1:9');
    writeFileSync(join(cwd, 'a.txt'), 'a');
    for (const to of ['ftp://host/files/', 'nope']) {
      const refused = await lifelineAsync(['send', 'a.txt', '--to', to], { cwd, env });
      expect(refused.status).toBe(2);
      expect(refused.stderr).toContain(
        `--to must be the http(s) URL of a tus endpoint, like http://127.0.0.1:8080/files/; got '${to}'`,
      );
    }
    const listed = await lifelineAsync(['queue', 'list', '--json'], { cwd, env });
    expect(JSON.parse(listed.stdout)).toEqual([]);
  });

  it('says which settings a file queued before keeps when it is sent again with others', async () => {
    const { cwd, env } = lifelineWorkspace('http://127.0.0.1:9');
    writeFileSync(join(cwd, 'a.txt'), 'a');
    expect((await lifelineAsync(['send', 'a.txt', '--priority', '1'], { cwd, env })).stdout).toContain(
      'queued #1',
    );
    const same = await lifelineAsync(['send', 'a.txt', '--priority', '1'], { cwd, env });
    expect(same.stdout).toContain('already queued #1 a.txt (1 B), pending\n');
    expect(same.stdout).not.toContain('the agent sends them'); // nothing new was queued
    const other = await lifelineAsync(['send', 'a.txt', '--priority', '5', '--limit', '1MB/s'], { cwd, env });
    expect(other.stdout).toContain(
      'already queued #1 a.txt (1 B), pending; it keeps priority 1 and no limit ' +
        '(to change them: lifeline queue remove 1, then send it again)',
    );
    const json = await lifelineAsync(['send', 'a.txt', '--limit', '1MB/s', '--json'], { cwd, env });
    expect(JSON.parse(json.stdout)).toMatchObject({
      event: 'known',
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      id: 1,
      file: join(cwd, 'a.txt'), // absolute, as the upload's own events give it
      keeps: 'priority 1 and no limit',
    });
  });

  it('queues a file that changed while queued once, and sends its new content', async () => {
    const server = await servers.started({ synchronous: 'normal' });
    const { cwd, env } = lifelineWorkspace(server.url);
    const path = join(cwd, 'log.txt');
    writeFileSync(path, 'first version\n');
    expect((await lifelineAsync(['send', 'log.txt'], { cwd, env })).stdout).toContain('queued #1');
    const newer = 'second, longer version\n'.repeat(10);
    writeFileSync(path, newer);
    expect((await lifelineAsync(['send', 'log.txt'], { cwd, env })).stdout).toContain('queued #2');
    const listed = await lifelineAsync(['queue', 'list', '--json'], { cwd, env });
    expect((JSON.parse(listed.stdout) as Array<{ id: number }>).map((item) => item.id)).toEqual([2]);
    const sent = await lifelineAsync(['send', 'log.txt', '--wait'], { cwd, env });
    expect(sent.status, sent.stderr).toBe(0);
    expect(server.uploads().map((upload) => upload.sha256)).toEqual([sha256(Buffer.from(newer))]);
  });
});
