import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChaosProxy } from '../../src/testing/index.js';
import { lifelineAsync, startLifeline } from './support/cli.js';
import { startedServers } from './support/servers.js';
import { until, untilAsync } from './support/tcp.js';
import { lifelineWorkspace } from './support/workspace.js';

const servers = startedServers('lifeline-uploads-');

interface Row {
  id: number;
  file: string;
  status: string;
  endedHolderPid?: number;
  size?: number;
  acknowledgedBytes: number;
  sentUpToBytes: number;
  percent: number;
  waiting?: { for: string; retries: number; retryAtMs?: number; reason?: string };
  reason?: string;
}

type Run = (...args: string[]) => ReturnType<typeof lifelineAsync>;

/** `lifeline uploads --json`'s first row, once `ready` says it shows what the test waits for. */
/** `lifeline uploads --json`, read; a run that fails or prints no JSON says what it printed. */
async function uploadRows(run: Run): Promise<Row[]> {
  const result = await run('uploads', '--json');
  try {
    return JSON.parse(result.stdout) as Row[];
  } catch {
    throw new Error(
      `lifeline uploads --json exited ${result.status} with stdout '${result.stdout}' and stderr '${result.stderr}'`,
    );
  }
}

async function firstUploadOnce(
  run: Run,
  ready: (row: Row | undefined) => boolean,
  timeoutMs: number,
  what: string,
): Promise<Row | undefined> {
  let row: Row | undefined;
  await untilAsync(
    async () => {
      [row] = await uploadRows(run);
      return ready(row);
    },
    timeoutMs,
    what,
  );
  return row;
}

describe('lifeline uploads', () => {
  it('lists what was sent, how far each got, and what failed and why', async () => {
    const server = await servers.started({ synchronous: 'normal' });
    const { cwd, env } = lifelineWorkspace(server.url);
    const run = (...args: string[]) => lifelineAsync(args, { cwd, env });
    expect((await run('uploads')).stdout).toContain("no uploads; 'lifeline send <file>' queues one");

    writeFileSync(join(cwd, 'report.txt'), 'x'.repeat(3000));
    writeFileSync(join(cwd, 'empty.bin'), '');
    expect((await run('send', 'report.txt', 'empty.bin', '--wait')).status).toBe(0);
    rmSync(join(cwd, 'report.txt')); // sent, then deleted here: no problem to report
    writeFileSync(join(cwd, 'empty.bin'), 'grown since'); // the row shows what was sent, not this
    writeFileSync(join(cwd, 'gone.txt'), 'soon gone');
    expect((await run('send', 'gone.txt')).status).toBe(0);
    rmSync(join(cwd, 'gone.txt')); // deleted while queued: the upload cannot happen
    expect((await run('agent', '--once')).status).toBe(1);

    const rows = await uploadRows(run);
    const byFile = new Map(rows.map((row) => [row.file, row]));
    expect(byFile.get('report.txt')).toMatchObject({
      status: 'completed',
      size: 3000,
      acknowledgedBytes: 3000,
      percent: 100,
    });
    expect(byFile.get('report.txt')?.reason).toBeUndefined();
    expect(byFile.get('empty.bin')).toMatchObject({ status: 'completed', size: 0, percent: 100 });
    expect(byFile.get('gone.txt')).toMatchObject({ status: 'dead', percent: 0 });
    expect(byFile.get('gone.txt')?.reason).toMatch(/gone\.txt/);

    const human = (await run('uploads')).stdout;
    expect(human).toMatch(/ID\s+FILE\s+STATUS\s+PROGRESS\s+TRIES\s+NEXT\s+QUEUED\s+WHY/);
    expect(human).toMatch(
      /#1\s+report\.txt\s+completed\s+2\.9 KB \/ 2\.9 KB \(100%\)\s+1\/10\s+\S+ ago\s*\n/,
    );
    expect(human).toMatch(/#2\s+empty\.bin\s+completed\s+0 B \/ 0 B \(100%\)/);
    expect(human).toMatch(/#3\s+gone\.txt\s+dead\s+.*gone\.txt/);
    expect(human).toContain("0 in flight or waiting, 1 failed — 'lifeline queue retry <id>' tries one again");
  });

  it('shows how far a running upload has got before its chunk is acknowledged', async () => {
    const server = await servers.started({ synchronous: 'normal' });
    const { cwd, env } = lifelineWorkspace(server.url);
    const run = (...args: string[]) => lifelineAsync(args, { cwd, env });
    // At 256 KB/s: a first PATCH of 16 KiB, then one of the rest (what goes in ten seconds), ~11 s long.
    writeFileSync(join(cwd, 'big.bin'), Buffer.alloc(3_000_000, 1));
    const sender = startLifeline(['send', 'big.bin', '--limit', '256KB/s', '--wait'], { cwd, env });
    try {
      let running: Row | undefined;
      await untilAsync(
        async () => {
          const rows = await uploadRows(run);
          running = rows.find((row) => row.file === 'big.bin' && row.status === 'running');
          return (running?.sentUpToBytes ?? 0) > (running?.acknowledgedBytes ?? 0);
        },
        40_000, // ~11 s of upload; a busy machine (the suite runs files side by side) stretches it
        'lifeline uploads to show bytes sent',
      );
      if (!running) throw new Error('unreachable: the wait ends only on a running row');
      expect(running.acknowledgedBytes).toBeLessThan(running.sentUpToBytes);
      expect(running.sentUpToBytes).toBeLessThan(3_000_000);
      expect(running.percent).toBe(Math.floor((running.sentUpToBytes / 3_000_000) * 100));
      const human = (await run('uploads')).stdout;
      expect(human).toMatch(/#1\s+big\.bin\s+running\s+\d+(\.\d)? [KM]B \/ 2\.9 MB \(\d+%\)/);
      expect(human).not.toMatch(/big\.bin\s+running\s+0 B/);

      // Killed mid-upload: the store still says running, but nothing sends it any more.
      sender.child.kill('SIGKILL');
      await sender.exited;
      const [left] = await uploadRows(run);
      expect(left).toMatchObject({ status: 'running', endedHolderPid: sender.child.pid });
      expect(left?.sentUpToBytes).toBe(left?.acknowledgedBytes);
      expect((await run('uploads')).stdout).toMatch(
        new RegExp(
          `#1\\s+big\\.bin\\s+interrupted\\s+.*its process \\(${sender.child.pid}\\) ended before it finished: ` +
            'the next agent or sync takes it back',
        ),
      );
      // A sync takes it back and sends it, and does not first say there is nothing to send.
      const synced = await run('queue', 'sync');
      expect(synced.status, synced.stdout + synced.stderr).toBe(0);
      expect(synced.stdout).not.toContain('nothing to send');
      expect(synced.stdout).toMatch(/✓ #1 big\.bin/);
    } finally {
      sender.child.kill('SIGKILL');
      await sender.exited;
    }
  }, 60_000);

  it('says why a running upload stands still: its next try, after what failed (uploads and queue list)', async () => {
    const server = await servers.started({ synchronous: 'normal' }); // the agent's server: the link is up
    const { cwd, env } = lifelineWorkspace(server.url);
    const run = (...args: string[]) => lifelineAsync(args, { cwd, env });
    writeFileSync(join(cwd, 'far.bin'), Buffer.alloc(1000, 1));
    // Nothing listens at the upload's own server: the agent's run retries it, 1–30 s apart.
    expect((await run('send', 'far.bin', '--to', 'http://127.0.0.1:9/files/')).status).toBe(0);
    const agent = startLifeline(['agent'], { cwd, env });
    try {
      const row = await firstUploadOnce(
        run,
        (first) => first?.waiting !== undefined,
        20_000,
        'lifeline uploads to say what the running upload waits for',
      );
      expect(row).toMatchObject({
        status: 'running',
        waiting: { for: 'retry', reason: expect.stringContaining('connection refused') },
      });
      expect(row?.waiting?.retries).toBeGreaterThanOrEqual(1);
      expect((await run('uploads')).stdout).toMatch(
        /#1\s+far\.bin\s+running\s+.*retry \d+( at \d\d:\d\d:\d\d)?, after: connection refused \(127\.0\.0\.1:9\)/,
      );
      // The queue's own list says the same of the same item, not its (empty) last error.
      expect((await run('queue', 'list')).stdout).toMatch(
        /#1\s+running\s+.*upload far\.bin → 127\.0\.0\.1:9\s+retry \d+( at \d\d:\d\d:\d\d)?, after: connection refused/,
      );
    } finally {
      agent.child.kill('SIGKILL');
      await agent.exited;
    }
  }, 40_000);

  it('says when a running upload has moved no bytes for a while (a stall, before its watchdog cuts it)', async () => {
    const server = await servers.started({ synchronous: 'normal' });
    const proxy = await new ChaosProxy({
      upstream: { port: server.port },
      toxics: [{ type: 'stall', afterBytes: 1024 * 1024, direction: 'upstream' }],
    }).start();
    const { cwd, env } = lifelineWorkspace(server.url);
    const run = (...args: string[]) => lifelineAsync(args, { cwd, env });
    writeFileSync(join(cwd, 'stuck.bin'), Buffer.alloc(3_000_000, 1));
    const sender = startLifeline(['send', 'stuck.bin', '--to', `${proxy.url}/files/`, '--wait'], {
      cwd,
      env,
    });
    try {
      // The stall shows after 15 s; the watchdog (30 s) has not cut it yet by 28 s.
      const row = await firstUploadOnce(
        run,
        (first) => first?.reason !== undefined,
        28_000,
        'lifeline uploads to say the upload stands still',
      );
      expect(row).toMatchObject({
        status: 'running',
        reason: expect.stringMatching(/^no bytes since \d\d:\d\d:\d\d$/),
      });
    } finally {
      sender.child.kill('SIGKILL');
      await sender.exited;
      await proxy.stop();
    }
  }, 40_000);

  it('queue pause from another process holds an upload on the wire; uploads says so; resume finishes it', async () => {
    const server = await servers.started({ synchronous: 'normal' });
    const { cwd, env } = lifelineWorkspace(server.url);
    const run = (...args: string[]) => lifelineAsync(args, { cwd, env });
    writeFileSync(join(cwd, 'held.bin'), Buffer.alloc(2_000_000, 3));
    const sender = startLifeline(['send', 'held.bin', '--limit', '256KB/s', '--wait'], { cwd, env });
    try {
      // Read the upload's record once `send` has made it (CI once saw an empty `uploads --json` here).
      await until(() => sender.lines.length > 0, 15_000, 'send to say what it queued');
      const sentUpTo = async () => ((await uploadRows(run))[0]?.sentUpToBytes ?? 0) as number;
      await untilAsync(async () => (await sentUpTo()) > 300_000, 30_000, 'the upload under way');
      expect((await run('queue', 'pause')).status).toBe(0);
      const row = await firstUploadOnce(
        run,
        (first) => first?.reason !== undefined,
        10_000,
        'uploads to say the upload is held',
      );
      expect(row?.reason).toBe("held while the queue is paused ('lifeline queue resume')");
      const heldAt = await sentUpTo();
      await new Promise((resolve) => setTimeout(resolve, 2500)); // 640 KB would have gone at 256 KB/s
      expect(await sentUpTo()).toBeLessThanOrEqual(heldAt + 64 * 1024); // a note on its way, at most
      expect(server.uploads()).toEqual([]);
      expect((await run('queue', 'resume')).status).toBe(0);
      expect(await sender.exited).toBe(0);
      expect(server.uploads()).toHaveLength(1);
    } finally {
      sender.child.kill('SIGKILL');
    }
  }, 60_000);
});
