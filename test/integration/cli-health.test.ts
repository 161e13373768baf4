import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type AgentHealth, healthResetRequestedAtMs, writeAgentHealth } from '../../src/node/agent-health.js';
import { CircuitBreaker } from '../../src/policy/circuit-breaker.js';
import { createServer, type LifelineServer } from '../../src/server/index.js';
import { lifelineAsync, type RunningCommand, startLifeline } from './support/cli.js';
import { healthHome as home } from './support/health-home.js';
import { closedPort, sleep, until } from './support/tcp.js';

let server: LifelineServer | undefined;
let running: RunningCommand | undefined;
let fakeAgent: { stop(): void } | undefined;
afterEach(async () => {
  fakeAgent?.stop();
  running?.child.kill('SIGKILL');
  await running?.exited;
  await server?.stop();
  server = undefined;
  running = undefined;
  fakeAgent = undefined;
});

async function startServer(): Promise<string> {
  server = createServer({ dataDir: mkdtempSync(join(tmpdir(), 'lifeline-health-server-')), port: 0 });
  await server.start();
  return server.url;
}

/** A real breaker, driven open by real failures: its snapshot is what an agent would write. */
async function openBreaker(name: string) {
  const breaker = new CircuitBreaker({ name, consecutiveFailures: 2, resetTimeoutMs: 60_000 });
  const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
  for (let i = 0; i < 2; i++) {
    await breaker
      .execute(() => {
        throw reset;
      })
      .catch(() => {});
  }
  expect(breaker.snapshot().state).toBe('open');
  return breaker;
}

function agentSnapshot(
  breakers: AgentHealth['breakers'],
  writtenAtMs = Date.now(),
  resetHandledAtMs = 0,
): AgentHealth {
  return {
    pid: process.pid, // alive for as long as the test runs
    writtenAtMs,
    link: { state: 'online', reason: 'probe succeeded in 3ms', sinceMs: Date.now() - 300_000 },
    quality: { level: 'good', score: 0.91, latencyMs: 80, jitterMs: 4, lossRate: 0.01 },
    recommendations: {
      transfer: { startNow: true, reason: 'good link (latency 80ms, loss 1.0%)' },
      batchSize: 50,
      concurrency: 4,
    },
    breakers,
    queue: { paused: false, runningHere: 0, concurrency: 4 },
    resetHandledAtMs,
  };
}

/** Does what the agent's `shareHealth` does: a snapshot every 200 ms; a reset request resets the breakers. */
function startFakeAgent(stateDir: string, breakers: CircuitBreaker[]): { stop(): void } {
  let handled = healthResetRequestedAtMs(stateDir);
  const tick = () => {
    const requested = healthResetRequestedAtMs(stateDir);
    if (requested > handled) {
      handled = requested;
      for (const breaker of breakers) breaker.reset();
    }
    writeAgentHealth(
      stateDir,
      agentSnapshot(
        breakers.map((breaker) => breaker.snapshot()),
        Date.now(),
        handled,
      ),
    );
  };
  tick();
  const timer = setInterval(tick, 200);
  return { stop: () => clearInterval(timer) };
}

const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown>;

const run = (args: string[], env: NodeJS.ProcessEnv) => lifelineAsync(args, { env });

describe('lifeline health', () => {
  it('shows the link online, its quality, the queue, and that no agent runs (exit 0)', async () => {
    const { env, config } = home(await startServer());
    const result = await run(['health', '--config', config], env);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /Link {2}http:\/\/127\.0\.0\.1:\d+\/health and the servers queued work goes to\n/,
    );
    expect(result.stdout).toMatch(/ {2}now\s+online: probe succeeded in \d+ms/);
    expect(result.stdout).toMatch(/ {2}agent\s+not running; 'lifeline agent' starts it/);
    // Loopback is excellent; a busy test machine can make it merely good.
    expect(result.stdout).toMatch(/ {2}level\s+(excellent|good), score \d+%/);
    expect(result.stdout).toMatch(/ {2}latency\s+\d+(\.\d)?ms\n/);
    expect(result.stdout).toMatch(/ {2}loss\s+0\.0%/);
    expect(result.stdout).toMatch(
      / {2}large transfer\s+start now: (excellent|good) link \(latency \d+ms, loss 0\.0%\)/,
    );
    expect(result.stdout).toMatch(/ {2}batch size\s+(100|50)\n/);
    expect(result.stdout).toMatch(/ {2}concurrency\s+(4|2)\n/);
    expect(result.stdout).toContain('Breakers  agent not running — breakers live in the agent');
    expect(result.stdout).toMatch(/ {2}pending\s+0/);
    expect(result.stdout.trimEnd().endsWith('healthy')).toBe(true);
  });

  it('--json: one document with the link, quality and advice, no breakers, and the queue', async () => {
    const serverUrl = await startServer();
    const { env, config } = home(serverUrl);
    const result = await run(['health', '--json', '--config', config], env);
    expect(result.status).toBe(0);
    const health = json(result.stdout);
    expect(health).toMatchObject({
      healthy: true,
      problems: [],
      server: serverUrl,
      link: { url: `${serverUrl}/health`, state: 'online', latencyMs: expect.any(Number) },
      agent: { running: false, lastSeenAtMs: null },
      quality: {
        source: 'probe',
        level: expect.stringMatching(/^(excellent|good)$/),
        score: expect.any(Number),
        latencyMs: expect.any(Number),
        jitterMs: null,
        lossRate: 0,
        recommendations: {
          transfer: { startNow: true, reason: expect.any(String) },
          batchSize: expect.any(Number),
          concurrency: expect.any(Number),
          source: 'probe',
        },
      },
      breakers: null,
      queue: { pending: 0, running: 0, completed: 0, dead: 0, paused: false },
    });
  });

  it('heads the link with probe.url alone when one is configured: nothing else is asked', async () => {
    const serverUrl = await startServer();
    const { env, config } = home(serverUrl);
    const probeUrl = new URL('/health?from=config', serverUrl).href;
    writeFileSync(config, JSON.stringify({ server: serverUrl, probe: { url: probeUrl, timeoutMs: 2000 } }));
    const result = await run(['health', '--config', config], env);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Link  ${probeUrl}\n`);
  });

  it('says the link is offline and what to check when the server is down (exit 1)', async () => {
    const { env, config } = home(`http://127.0.0.1:${await closedPort()}`);
    const result = await run(['health', '--config', config], env);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/ {2}now\s+offline: probe failed: connection refused/);
    expect(result.stdout).toMatch(/ {2}level\s+offline, score 0%/);
    expect(result.stdout).toMatch(/ {2}loss\s+(not measured \(link offline\)|[1-9]\d*\.\d%)\n/);
    expect(result.stdout).toMatch(/ {2}large transfer\s+wait \d+\S*: link offline; check again in \S+\n/);
    expect(result.stdout).toMatch(/ {2}batch size\s+\d+ once the link is back\n/);
    expect(result.stdout).toMatch(
      /unhealthy: the link is offline \(.*\): is the server at http:\/\/127\.0\.0\.1:\d+ up\?/,
    );

    const asJson = json((await run(['health', '--json', '--config', config], env)).stdout);
    expect(asJson).toMatchObject({ healthy: false, link: { state: 'offline', latencyMs: null } });
    expect((asJson.problems as string[])[0]).toContain('the link is offline');
  });

  it('shows the agent’s breakers from its fresh snapshot; an open one makes exit 1', async () => {
    const { dir, env, config } = home(await startServer());
    const breaker = await openBreaker('http 127.0.0.1:9999');
    const closed = new CircuitBreaker({ name: 'sui' });
    writeAgentHealth(dir, agentSnapshot([breaker.snapshot(), closed.snapshot()]));

    const result = await run(['health', '--config', config], env);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(
      / {2}agent\s+online since (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d \(5m ago\): probe succeeded in 3ms/,
    );
    expect(result.stdout).toContain('Quality  as the agent measures it');
    expect(result.stdout).toMatch(/ {2}level\s+good, score 91%/);
    expect(result.stdout).toMatch(/ {2}latency\s+80ms, jitter 4ms/);
    expect(result.stdout).toMatch(/ {2}loss\s+1\.0%/);
    expect(result.stdout).toMatch(/Breakers {2}agent pid \d+, snapshot (just now|\d+s ago)/);
    expect(result.stdout).toMatch(/NAME\s+STATE\s+FAILURES\s+NEXT TRIAL\s+WHY/);
    expect(result.stdout).toMatch(/http 127\.0\.0\.1:9999\s+open\s+100% of \d+\s+in (5\d|60)s\s+\S/);
    expect(result.stdout).toMatch(/\d\d:\d\d:\d\d {2}closed → open: /);
    expect(result.stdout).toMatch(/sui\s+closed\s+0% of 0\s+—\s+healthy/);
    expect(result.stdout).toMatch(
      /unhealthy: breaker 'http 127\.0\.0\.1:9999' is open \(.*\): calls to it fail fast; the next trial call goes through in (5\d|60)s\. Once the service is back, 'lifeline health reset' closes it at once/,
    );

    const asJson = json((await run(['health', '--json', '--config', config], env)).stdout);
    expect(asJson).toMatchObject({
      healthy: false,
      agent: { running: true, pid: process.pid, link: { state: 'online' } },
      quality: { source: 'agent', level: 'good', score: 0.91, latencyMs: 80, jitterMs: 4, lossRate: 0.01 },
    });
    const breakers = asJson.breakers as Array<Record<string, unknown>>;
    expect(breakers.map((entry) => [entry.name, entry.state])).toEqual([
      ['http 127.0.0.1:9999', 'open'],
      ['sui', 'closed'],
    ]);
    expect(breakers[0]?.nextTrialAtMs).toBeGreaterThan(Date.now() + 50_000);
    expect(breakers[0]?.lastTransitions).toEqual([expect.objectContaining({ from: 'closed', to: 'open' })]);
    expect(breakers[1]?.nextTrialAtMs).toBeNull();
  });

  it('gives the agent’s own advice when its snapshot carries it', async () => {
    const { dir, env, config } = home(await startServer());
    const recommendations = {
      transfer: { startNow: false, waitMs: 30_000, reason: 'loss 6.0% over the last 50 samples is too high' },
      batchSize: 25,
      concurrency: 1,
    };
    const snapshot = { ...agentSnapshot([]), recommendations };
    writeAgentHealth(dir, snapshot);
    const result = await run(['health', '--config', config], env);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      / {2}large transfer\s+wait 30\.0s: loss 6\.0% over the last 50 samples is too high\n/,
    );
    expect(result.stdout).toMatch(/ {2}batch size\s+25\n {2}concurrency\s+1\n/);
    expect(result.stdout).not.toContain('advice from the probe just made');
    expect(result.stdout).toContain('no breakers yet');
    const asJson = json((await run(['health', '--json', '--config', config], env)).stdout);
    expect(asJson.quality).toMatchObject({
      source: 'agent',
      recommendations: { ...recommendations, source: 'agent' },
    });
    expect(asJson.breakers).toEqual([]);
  });

  it('takes a stale snapshot for a stopped agent', async () => {
    const { dir, env, config } = home(await startServer());
    const breaker = await openBreaker('walrus');
    writeAgentHealth(dir, agentSnapshot([breaker.snapshot()], Date.now() - 120_000));
    const result = await run(['health', '--config', config], env);
    expect(result.status).toBe(0); // its open breaker died with it
    expect(result.stdout).toMatch(/agent\s+not running \(last seen 2m ago, pid \d+\)/);
    expect(result.stdout).toContain('agent not running — breakers live in the agent');
  });

  it('shows a real running agent, and resets it', async () => {
    const { dir, env, config } = home(await startServer());
    running = startLifeline(['agent', '--config', config], { env });
    await until(() => existsSync(join(dir, 'agent-health.json')), 20_000, 'the agent’s first snapshot');
    await until(
      () => running?.lines.some((line) => line.includes('link online')) ?? false,
      10_000,
      'link online',
    );
    await sleep(2100); // a snapshot written after the link came up

    const result = await run(['health', '--config', config], env);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/ {2}agent\s+online since/);
    expect(result.stdout).toMatch(/Breakers {2}agent pid \d+/);

    const reset = await run(['health', 'reset', '--config', config], env);
    expect(reset.status).toBe(0);
    expect(reset.stdout).toMatch(/asked the agent \(pid \d+\) to reset; waiting for it to confirm/);
    expect(reset.stdout).toMatch(/reset: the agent \(pid \d+\) closed its \d+ breakers?/);
  });
});

describe('lifeline health reset', () => {
  it('says there is nothing to reset when no agent runs (exit 0)', async () => {
    const { env, config } = home(await startServer());
    const result = await run(['health', 'reset', '--config', config], env);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('no agent running');
    expect(result.stdout).toContain('nothing to reset');
    const asJson = json((await run(['health', 'reset', '--json', '--config', config], env)).stdout);
    expect(asJson).toMatchObject({ agentRunning: false, confirmed: false });
  });

  it('asks a running agent to reset and confirms its breakers closed', async () => {
    const { dir, env, config } = home(await startServer());
    const breaker = await openBreaker('walrus');
    fakeAgent = startFakeAgent(dir, [breaker]);
    const result = await run(['health', 'reset', '--json', '--config', config], env);
    expect(result.status).toBe(0);
    const answer = json(result.stdout);
    expect(answer).toMatchObject({ agentRunning: true, pid: process.pid, confirmed: true });
    expect(answer.breakers).toEqual([expect.objectContaining({ name: 'walrus', state: 'closed' })]);
    expect(breaker.snapshot().state).toBe('closed');
  });

  it('fails when the agent does not confirm within 5 s (exit 1)', async () => {
    const { dir, env, config } = home(await startServer());
    writeAgentHealth(dir, agentSnapshot([(await openBreaker('walrus')).snapshot()]));
    const result = await run(['health', 'reset', '--config', config], env);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/did not confirm within 5\.0s: is it still running\?/);
    expect(healthResetRequestedAtMs(dir)).toBeGreaterThan(0); // the request stays for the agent
  });
});
