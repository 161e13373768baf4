import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FailureLog } from '../../src/analytics/failure-log.js';
import { SqliteFailureStore } from '../../src/node/sqlite-failure-store.js';
import { lifeline, lifelineAsync } from './support/cli.js';
import { healthHome as home } from './support/health-home.js';
import { startedServers } from './support/servers.js';

const servers = startedServers('lifeline-health-server-');
const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown>;
const run = (args: string[], env: NodeJS.ProcessEnv) => lifelineAsync(args, { env });

describe('lifeline health failures', () => {
  it('is readable when nothing failed', async () => {
    const { env, config } = home((await servers.started()).url);
    const result = await run(['health', 'failures', '--config', config], env);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /^no failures recorded since (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d \(the last 1h\)\n/,
    );
    expect(result.stdout).toContain('Use --since 24h to look further back');
    const asJson = json((await run(['health', 'failures', '--json', '--config', config], env)).stdout);
    expect(asJson).toMatchObject({
      windowMs: 3_600_000,
      operation: null,
      stats: { total: 0 },
      rates: [],
      patterns: [],
    });
  });

  it('shows totals, top errors, rates and patterns with their recommendations', async () => {
    const { dir, env, config } = home((await servers.started()).url);
    const store = new SqliteFailureStore({ path: join(dir, 'failures.db') });
    const log = new FailureLog({ store });
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    for (let i = 0; i < 12; i++) log.record(reset, { operation: 'upload', component: 'uploader' });
    for (let i = 0; i < 2; i++) {
      log.record(new DOMException('slow', 'TimeoutError'), { operation: 'sync', component: 'sui-client' });
    }
    // Two hours old: outside the default window.
    store.append({
      atMs: Date.now() - 2 * 3_600_000,
      kind: 'permanent',
      message: 'HTTP 400 Bad Request',
      status: 400,
      retryable: false,
      operation: 'register',
      component: 'api',
      severity: 'error',
    });
    store.close();

    const result = await run(['health', 'failures', '--config', config], env);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const out = result.stdout;
    expect(out).toMatch(
      /^14 failures since (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d \(the last 1h\), from .*failures\.db\n/,
    );
    expect(out).toMatch(/ {2}by kind\s+transient 12, timeout 2/);
    expect(out).toMatch(/ {2}by operation\s+upload 12, sync 2/);
    expect(out).toMatch(/ {2}by component\s+uploader 12, sui-client 2/);
    expect(out).toMatch(/ {2}by severity\s+warning 14/);
    expect(out).toMatch(/COUNT\s+KIND\s+LAST\s+ERROR/);
    expect(out).toMatch(/ {2}12\s+transient\s+(just now|\d+s ago)\s+.*ECONNRESET/);
    expect(out).toMatch(/ {2}2\s+timeout\s+(just now|\d+s ago)\s+timed out/);
    expect(out).toMatch(/OPERATION\s+FAILURES\s+PER MINUTE\s+OF CALLS/);
    expect(out).toMatch(/ {2}upload\s+12\s+0\.20\s+successes not counted/);
    expect(out).toMatch(/ {2}• .*ECONNRESET.* repeated 12 times in upload/);
    expect(out).toMatch(/→ The link or the service keeps dropping requests/);
    expect(out).toMatch(/ {2}• upload accounts for 86% of failures \(12 of 14\)/);
    expect(out).toMatch(/→ Look at upload first/);
    expect(out).not.toContain('register');

    const older = await run(['health', 'failures', '--since', '3h', '--config', config], env);
    expect(older.stdout).toMatch(/^15 failures/);
    expect(older.stdout).toMatch(/register 1/);

    const one = json(
      (await run(['health', 'failures', '--operation', 'sync', '--json', '--config', config], env)).stdout,
    );
    expect(one).toMatchObject({
      operation: 'sync',
      stats: { total: 2, byKind: { timeout: 2 }, byOperation: { sync: 2 } },
      rates: [{ operation: 'sync', failures: 2 }],
      patterns: [],
    });

    const none = await run(['health', 'failures', '--operation', 'nope', '--config', config], env);
    expect(none.stdout).toMatch(
      /^no failures recorded since (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d \(the last 1h\) in nope/,
    );
  });

  it('refuses bad arguments with exit code 2', async () => {
    const { env, config } = home((await servers.started()).url);
    const since = await run(['health', 'failures', '--since', 'yesterday', '--config', config], env);
    expect(since.status).toBe(2);
    expect(since.stderr).toContain("--since: cannot read 'yesterday'");
    const zero = await run(['health', 'failures', '--since', '0', '--config', config], env);
    expect(zero.status).toBe(2);
    expect(zero.stderr).toContain('--since: use a positive duration');
    const sub = await run(['health', 'frob'], env);
    expect(sub.status).toBe(2);
    expect(sub.stderr).toContain("unknown health command 'frob' (there are: reset, failures)");
    const option = await run(['health', '--verbose'], env);
    expect(option.status).toBe(2);
    expect(option.stderr).toContain("Unknown option '--verbose'");
  });

  it('documents its exit codes in --help', () => {
    const result = lifeline(['health', '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(
      'Exit codes: 0 healthy; 1 the link is offline or a breaker is open; 2 bad usage.',
    );
  });
});
