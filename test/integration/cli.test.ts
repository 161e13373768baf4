import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteQueueStore } from '../../src/node/sqlite-queue-store.js';
import { OperationQueue } from '../../src/queue/operation-queue.js';
import { lifeline, ROOT, startLifeline } from './support/cli.js';
import { postOperations, tempDir } from './support/queue-fixtures.js';
import { until } from './support/tcp.js';

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

describe('lifeline command', () => {
  it('prints its version', () => {
    expect(lifeline(['--version'])).toMatchObject({ status: 0, stdout: `lifeline ${manifest.version}\n` });
  });

  it('prints help listing its commands with --help; with no arguments too, as bad usage (exit 2)', () => {
    const asked = lifeline(['--help']);
    expect(asked.status).toBe(0);
    expect(asked.stdout).toContain('Usage: lifeline <command>');
    expect(asked.stdout).toMatch(/chaos\s+run a fault-injecting TCP proxy/);
    const bare = lifeline([]);
    expect(bare.status).toBe(2);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toContain('Usage: lifeline <command>');
  });

  it('prints a command’s own help, also as `lifeline help <command>`', () => {
    for (const args of [
      ['chaos', '--help'],
      ['help', 'chaos'],
    ]) {
      const result = lifeline(args);
      expect(result.status).toBe(0);
      expect(result.stdout).toContain('Usage: lifeline chaos --upstream <host:port>');
    }
    expect(lifeline(['help', 'frobnicate'])).toMatchObject({
      status: 2,
      stderr: expect.stringContaining("no command 'frobnicate'"),
    });
  });

  it('stops quietly, exit 0, when its reader goes away early (`| head`)', async () => {
    const home = tempDir('lifeline-home-');
    const queue = new OperationQueue({ store: new SqliteQueueStore({ path: join(home, 'queue.db') }) });
    await queue.enqueueMany(postOperations('http://127.0.0.1:9/ops/x', 3000)); // a listing of ~200 KB
    await queue.close();
    const listing = startLifeline(['queue', 'list', '--limit', '3000'], { env: { LIFELINE_HOME: home } });
    await until(() => listing.lines.length > 0, 30_000, 'the first lines');
    listing.child.stdout?.destroy(); // as `head` does once it has its lines
    expect(await listing.exited).toBe(0);
    expect(listing.stderr()).toBe('');
  }, 60_000);

  it('refuses an unknown command or option with exit code 2 and a hint', () => {
    expect(lifeline(['frobnicate'])).toMatchObject({
      status: 2,
      stderr: expect.stringContaining("unknown command 'frobnicate'"),
    });
    expect(lifeline(['--frob'])).toMatchObject({
      status: 2,
      stderr: expect.stringContaining("Run 'lifeline --help'"),
    });
  });
});
