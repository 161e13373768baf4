import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type LifelineServer } from '../../src/server/index.js';
import { ChaosProxy } from '../../src/testing/index.js';
import { lifeline, lifelineAsync } from './support/cli.js';
import { closedPort } from './support/tcp.js';

let server: LifelineServer | undefined;
let proxy: ChaosProxy | undefined;
afterEach(async () => {
  await proxy?.stop();
  await server?.stop();
  proxy = undefined;
  server = undefined;
});

/** A directory without a lifeline.config.json, so no config on this machine changes the advice. */
const env = () => ({ LIFELINE_HOME: mkdtempSync(join(tmpdir(), 'lifeline-probe-')) });

async function startServer(): Promise<LifelineServer> {
  server = createServer({ dataDir: mkdtempSync(join(tmpdir(), 'lifeline-probe-server-')), port: 0 });
  await server.start();
  return server;
}

const run = (args: string[], environment: NodeJS.ProcessEnv = env()) =>
  lifelineAsync(args, { env: environment });

interface Summary {
  event: 'summary';
  sent: number;
  lost: number;
  lossRate: number;
  latency: { minMs: number; avgMs: number; maxMs: number } | null;
  jitterMs: number | null;
  level: string;
  score: number;
  recommendations: {
    transfer: { startNow: boolean; waitMs?: number; reason: string };
    batchSize: number;
    concurrency: number;
  };
}

const jsonLines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('lifeline probe', () => {
  it('samples a healthy server: a line per probe, then the summary and advice (exit 0)', async () => {
    const { url } = await startServer();
    const result = await run(['probe', `${url}/health`, '--count', '5', '--interval', '50ms']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(`PROBE ${url}/health: 5 probes, 50ms apart, timeout 5.0s`);
    expect(lines.filter((line) => /^seq=\d time=\d+(\.\d)?ms$/.test(line))).toHaveLength(5);
    expect(result.stdout).toContain(`--- ${url}/health ---\n5 sent, 0 lost (0.0% loss)\n`);
    expect(result.stdout).toMatch(/latency\s+min\/avg\/max \S+ \/ \S+ \/ \S+, jitter \S+ms\n/);
    expect(result.stdout).toMatch(/quality\s+(excellent|good), score \d+%\n/);
    expect(result.stdout).toMatch(
      /large transfer\s+start now: (excellent|good) link \(latency \d+ms, loss 0\.0%\)\n/,
    );
    expect(result.stdout).toMatch(/batch size\s+\d+\nconcurrency\s+\d+\n/);
  });

  it('--json: an event per probe and a summary; the advice follows the configured concurrency', async () => {
    const { url } = await startServer();
    const home = env();
    const config = join(home.LIFELINE_HOME, 'custom.json');
    writeFileSync(config, JSON.stringify({ queue: { concurrency: 16 } }));
    const result = await run(
      ['probe', `${url}/health`, '--count', '3', '--interval', '0', '--json', '--config', config],
      home,
    );
    expect(result.status).toBe(0);
    const events = jsonLines(result.stdout);
    expect(events.slice(0, 3)).toEqual(
      [1, 2, 3].map((seq) => ({ event: 'probe', seq, ok: true, latencyMs: expect.any(Number) })),
    );
    const summary = events[3] as unknown as Summary;
    expect(summary).toMatchObject({ event: 'summary', url: `${url}/health`, sent: 3, lost: 0, lossRate: 0 });
    expect(summary.latency?.minMs).toBeLessThanOrEqual(summary.latency?.avgMs ?? 0);
    expect(summary.latency?.avgMs).toBeLessThanOrEqual(summary.latency?.maxMs ?? 0);
    expect(summary.score).toBeGreaterThan(0.6);
    expect(summary.score).toBe(Math.round(summary.score * 1000) / 1000); // 0.76, not 0.7599999999999999
    expect(summary.recommendations.transfer.startNow).toBe(true);
    // excellent: all of 16; good: half.
    expect([16, 8]).toContain(summary.recommendations.concurrency);
  });

  it('through a chaos proxy with latency: the latency shows in the average and the level drops', async () => {
    const { port } = await startServer();
    proxy = await new ChaosProxy({ upstream: { port } }).start();
    proxy.addToxic({ type: 'latency', latencyMs: 200 });
    const result = await run(['probe', `${proxy.url}/health`, '--count', '4', '--interval', '0', '--json']);
    expect(result.status).toBe(0);
    const summary = jsonLines(result.stdout).at(-1) as unknown as Summary;
    expect(summary.lost).toBe(0);
    // 200 ms each way.
    expect(summary.latency?.avgMs).toBeGreaterThanOrEqual(400);
    expect(summary.level).toBe('poor');
    expect(summary.recommendations).toMatchObject({ batchSize: 12, concurrency: 1 });
    expect(summary.recommendations.transfer.reason).toContain('latency is high but loss is low');

    const human = await run(['probe', `${proxy.url}/health`, '--count', '2', '--interval', '0']);
    expect(human.stdout).toMatch(/quality\s+poor, score \d+%/);
    expect(human.stdout).not.toContain('excellent');
  });

  it('counts a probe with no answer within --timeout as lost', async () => {
    const { port } = await startServer();
    proxy = await new ChaosProxy({ upstream: { port } }).start();
    proxy.addToxic({ type: 'latency', latencyMs: 1000 });
    const result = await run([
      'probe',
      `${proxy.url}/health`,
      '--count',
      '2',
      '--interval',
      '0',
      '--timeout',
      '300ms',
    ]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^seq=1 lost: no answer within 300ms$/m);
    expect(result.stdout).toContain('2 sent, 2 lost (100.0% loss)');
  });

  it('against a closed port: every probe lost, the link offline, advice to wait (exit 1)', async () => {
    const port = await closedPort();
    const result = await run([
      'probe',
      `http://127.0.0.1:${port}/health`,
      '--count',
      '3',
      '--interval',
      '10ms',
    ]);
    expect(result.status).toBe(1);
    expect(result.stdout.match(/^seq=\d lost: connection refused/gm)).toHaveLength(3);
    expect(result.stdout).toContain('3 sent, 3 lost (100.0% loss)');
    expect(result.stdout).not.toContain('min/avg/max');
    expect(result.stdout).toMatch(/quality\s+offline, score 0%/);
    expect(result.stdout).toMatch(
      /large transfer\s+wait 30\.0s: loss 100\.0% over the last 3 samples is too high/,
    );
    // Nothing goes out while offline: the sizes advised are for when the link is back.
    expect(result.stdout).toMatch(
      /batch size\s+\d+ once the link is back\nconcurrency\s+1 once the link is back\n/,
    );
    expect(result.stdout).toContain(
      `no probe got an answer: is anything listening at http://127.0.0.1:${port}/health`,
    );
  });

  it('a server answering with an error status is there: it says to probe a URL that answers 2xx', async () => {
    const { url } = await startServer();
    const result = await run(['probe', `${url}/nope`, '--count', '2', '--interval', '10ms']);
    expect(result.status).toBe(1);
    expect(result.stdout.match(/^seq=\d lost: .*404/gm)).toHaveLength(2);
    expect(result.stdout).toContain(
      'the server answered HTTP 404, not 2xx: probe a URL that answers 2xx (lifeline serve answers at /health)',
    );
    expect(result.stdout).not.toContain('is anything listening');
  });

  it('probes a TCP port with tcp://host:port', async () => {
    const { port } = await startServer();
    const open = await run(['probe', `tcp://127.0.0.1:${port}`, '--count', '2', '--interval', '0', '--json']);
    expect(open.status).toBe(0);
    expect(jsonLines(open.stdout).at(-1)).toMatchObject({ sent: 2, lost: 0 });
    const closed = await run([
      'probe',
      `tcp://127.0.0.1:${await closedPort()}`,
      '--count',
      '2',
      '--interval',
      '0',
    ]);
    expect(closed.status).toBe(1);
    expect(closed.stdout).toMatch(/^seq=1 lost: connection refused \(127\.0\.0\.1:\d+\)$/m);
  });

  it('refuses bad arguments with a clear message and exit code 2', async () => {
    const cases: Array<[string[], string]> = [
      [['probe'], 'probe needs a URL'],
      [['probe', 'not a url'], "cannot read 'not a url' as a URL"],
      [['probe', 'ftp://example.com/'], "cannot probe 'ftp:' URLs; use http://, https:// or tcp://host:port"],
      [['probe', 'tcp://example.com'], "'tcp://example.com' needs a host and a port"],
      [['probe', 'http://127.0.0.1/', '--count', '0'], "--count: use a whole number of probes ≥ 1, not '0'"],
      [['probe', 'http://127.0.0.1/', '--interval', 'soon'], "--interval: cannot read 'soon'"],
      [['probe', 'http://127.0.0.1/', '--timeout', '0'], '--timeout: use a positive duration'],
      [['probe', 'http://127.0.0.1/', '--tiemout', '1s'], "Unknown option '--tiemout'"],
    ];
    const results = await Promise.all(cases.map(([args]) => run(args)));
    results.forEach((result, i) => {
      const [args, message] = cases[i] as [string[], string];
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toContain(message);
      expect(result.stderr).toContain("Run 'lifeline probe --help' for usage.");
    });
  });

  it('documents its exit codes in --help', () => {
    const result = lifeline(['probe', '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(
      'Exit codes: 0 at least one probe got an answer; 1 every probe was lost; 2 bad usage.',
    );
  });
});
