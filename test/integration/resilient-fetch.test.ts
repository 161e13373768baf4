import { afterEach, describe, expect, it } from 'vitest';
import {
  classify,
  constantBackoff,
  createFetch,
  FailureLog,
  PolicyRegistry,
  type RetryEvent,
  TimeoutError,
} from '../../src/index.js';
import { ChaosProxy, type ToxicSpec } from '../../src/testing/index.js';
import { startHttpServer } from './support/http-server.js';
import { sleep, until } from './support/tcp.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function setup(toxics: ToxicSpec[] = []) {
  const server = await startHttpServer();
  const proxy = await new ChaosProxy({ upstream: { port: server.port }, toxics, seed: 1234 }).start();
  cleanup.push(
    () => server.close(),
    () => proxy.stop(),
  );
  return { server, proxy };
}

const quickRetries = { backoff: constantBackoff(10), registry: new PolicyRegistry() };

describe('resilientFetch through the chaos proxy', () => {
  it('500 ms of latency: requests succeed; a 300 ms timeout classifies as timeout and is retried', async () => {
    const { proxy } = await setup([{ type: 'latency', latencyMs: 500, direction: 'downstream' }]);
    const patient = createFetch({ ...quickRetries, timeoutMs: 2000 });
    const response = await patient(`${proxy.url}/ok`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');

    const hasty = createFetch({
      ...quickRetries,
      registry: new PolicyRegistry(),
      timeoutMs: 300,
      maxAttempts: 3,
    });
    const retries: RetryEvent[] = [];
    hasty.on('retry', (event) => retries.push(event));
    const started = Date.now();
    const error = await hasty(`${proxy.url}/ok`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(classify(error).kind).toBe('timeout');
    expect((error as Error).message).toMatch(/request to 127\.0\.0\.1:\d+ timed out after 300ms/);
    expect(retries.map((event) => event.failure.kind)).toEqual(['timeout', 'timeout']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(880);
  });

  it('50% of connections reset: ≥ 99% of 200 POSTs succeed, and the server applies each key once', async () => {
    const { server, proxy } = await setup([
      { type: 'reset', probability: 0.5, afterBytes: 20, direction: 'downstream' },
    ]);
    const client = createFetch({ ...quickRetries, maxAttempts: 12, circuitBreaker: false });
    const results: number[] = [];
    const send = async (i: number) => {
      try {
        const response = await client(`${proxy.url}/ops`, { method: 'POST', body: JSON.stringify({ i }) });
        results.push(response.status);
      } catch {
        results.push(0);
      }
    };
    for (let batch = 0; batch < 200; batch += 8) {
      await Promise.all(Array.from({ length: 8 }, (_, j) => send(batch + j)));
    }
    const succeeded = results.filter((status) => status === 201 || status === 200).length;
    expect(succeeded).toBeGreaterThanOrEqual(198);
    expect(proxy.counters.resetsInjected).toBeGreaterThan(5);
    expect(server.applied.size).toBeGreaterThanOrEqual(succeeded);
    expect([...server.applied.values()].every((count) => count === 1)).toBe(true);
    // Some responses were lost after the server applied the operation: the retry was answered from the key.
    const keys = server.requests.filter((request) => request.path === '/ops').map((request) => request.key);
    expect(keys.length).toBeGreaterThan(new Set(keys).size);
  });

  it('an outage opens the breaker (fail fast with the time until half-open), and recovery closes it', async () => {
    const { proxy } = await setup();
    const registry = new PolicyRegistry();
    const client = createFetch({
      registry,
      maxAttempts: 1,
      circuitBreaker: { consecutiveFailures: 3, resetTimeoutMs: 400 },
    });
    proxy.scheduleOutage({ startInMs: 0, durationMs: 1200 });
    await until(() => !proxy.isListening, 1000, 'the outage');
    for (let i = 0; i < 3; i++) {
      const error = await client(`${proxy.url}/ok`).catch((caught: unknown) => caught);
      expect(classify(error)).toMatchObject({ kind: 'transient', code: 'ECONNREFUSED' });
    }
    const started = performance.now();
    const open = await client(`${proxy.url}/ok`).catch((caught: unknown) => caught);
    expect(performance.now() - started).toBeLessThan(50);
    expect(open).toMatchObject({ code: 'CIRCUIT_OPEN' });
    expect(client.breakerFor(`127.0.0.1:${proxy.port}`)?.state).toBe('open');
    expect((open as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
    expect((open as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(400);

    await until(() => proxy.isListening, 3000, 'the outage to end');
    const breaker = client.breakerFor(`127.0.0.1:${proxy.port}`);
    await until(() => breaker?.state === 'half-open', 3000, 'half-open');
    expect((await client(`${proxy.url}/ok`)).status).toBe(200);
    expect(breaker?.state).toBe('closed');
    expect(registry.health().breakers[0]?.lastTransitions.map((t) => t.to)).toContain('open');
  });

  it('429 with Retry-After: 1 waits that long before the next attempt, not less', async () => {
    const { server, proxy } = await setup();
    server.script({ status: 429, headers: { 'retry-after': '1' } });
    const client = createFetch(quickRetries);
    const retries: RetryEvent[] = [];
    client.on('retry', (event) => retries.push(event));
    const response = await client(`${proxy.url}/ok`);
    expect(response.status).toBe(200);
    const [first, second] = server.requests;
    expect((second?.atMs ?? 0) - (first?.atMs ?? 0)).toBeGreaterThanOrEqual(990);
    expect(retries[0]).toMatchObject({ delayMs: 1000, serverNamedDelay: true });
  });

  it('Retry-After as an HTTP-date works too', async () => {
    const { server, proxy } = await setup();
    server.script({ status: 503, headers: { 'retry-after': new Date(Date.now() + 2000).toUTCString() } });
    const response = await createFetch(quickRetries)(`${proxy.url}/ok`);
    expect(response.status).toBe(200);
    const [first, second] = server.requests;
    const gapMs = (second?.atMs ?? 0) - (first?.atMs ?? 0);
    expect(gapMs).toBeGreaterThanOrEqual(990); // the date has one-second precision
    expect(gapMs).toBeLessThan(2500);
  });

  it('pushback is shared: another request to the host waits out the named time too', async () => {
    const { server, proxy } = await setup();
    server.script({ status: 429, headers: { 'retry-after': '1' } });
    const client = createFetch({ ...quickRetries, registry: new PolicyRegistry() });
    const pushbacks: number[] = [];
    client.on('pushback', (event) => pushbacks.push(event.retryAfterMs));
    const first = client(`${proxy.url}/ok`);
    await until(() => pushbacks.length === 1, 2000, 'the 429');
    const second = client(`${proxy.url}/ok?other`);
    await Promise.all([first, second]);
    const limitedAt = server.requests[0]?.atMs ?? 0;
    for (const request of server.requests.slice(1))
      expect(request.atMs - limitedAt).toBeGreaterThanOrEqual(950);
  });

  it('a wait longer than maxRetryAfterMs fails fast with a clear error', async () => {
    const { server, proxy } = await setup();
    server.script({ status: 429, headers: { 'retry-after': '120' } });
    const started = Date.now();
    const error = await createFetch({ ...quickRetries, maxRetryAfterMs: 5000 })(`${proxy.url}/ok`).catch(
      (caught: unknown) => caught,
    );
    expect(Date.now() - started).toBeLessThan(1000);
    expect(error).toMatchObject({ code: 'RETRY_AFTER_TOO_LONG', retryAfterMs: 120_000 });
    expect((error as Error).message).toMatch(/asked to wait 2m.*longer than maxRetryAfterMs \(5\.0s\)/);
  });

  it('a black hole is caught by the request timeout, not left hanging', async () => {
    const { proxy } = await setup([{ type: 'blackhole', direction: 'upstream' }]);
    const started = Date.now();
    const error = await createFetch({ ...quickRetries, timeoutMs: 300, maxAttempts: 2 })(
      `${proxy.url}/ok`,
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a body that stalls mid-way is caught by the stall timeout', async () => {
    const { proxy } = await setup([{ type: 'stall', afterBytes: 60_000, direction: 'downstream' }]);
    const client = createFetch({ ...quickRetries, stallTimeoutMs: 300 });
    const stalls: number[] = [];
    client.on('stall', (event) => stalls.push(event.stallTimeoutMs));
    const response = await client(`${proxy.url}/bytes?n=500000&chunk=10000`);
    expect(response.status).toBe(200);
    const started = Date.now();
    const error = await response.arrayBuffer().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toBe('response body stalled: no bytes received for 300ms');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(stalls).toEqual([300]);
  });

  it('replays a buffered body on retry, with the same Idempotency-Key', async () => {
    const { server, proxy } = await setup();
    server.script({ status: 503 });
    const response = await createFetch(quickRetries)(`${proxy.url}/ops`, { method: 'POST', body: 'payload' });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ body: 'payload' });
    const [first, second] = server.requests;
    expect(first?.key).toBeDefined();
    expect(second?.key).toBe(first?.key);
  });

  it('refuses to send a consumed stream twice, with a clear error', async () => {
    const { server, proxy } = await setup();
    server.script({ status: 503 });
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('once'));
        controller.close();
      },
    });
    const error = await createFetch(quickRetries)(`${proxy.url}/ops`, { method: 'POST', body }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: 'BODY_NOT_REPLAYABLE' });
    expect(server.requests).toHaveLength(1);
  });

  it('a POST without a key is not retried once it may have been sent, and the last response is returned', async () => {
    const { server, proxy } = await setup();
    server.script({ status: 503 });
    const response = await createFetch(quickRetries)(`${proxy.url}/ops`, {
      method: 'POST',
      body: 'x',
      lifeline: { idempotencyKey: false },
    });
    expect(response.status).toBe(503);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.key).toBeUndefined();
  });

  it("the caller's signal cancels a server-named wait at once", async () => {
    const { server, proxy } = await setup();
    server.script({ status: 429, headers: { 'retry-after': '30' } });
    const controller = new AbortController();
    const request = createFetch(quickRetries)(`${proxy.url}/ok`, { signal: controller.signal });
    await until(() => server.requests.length === 1, 2000, 'the first request');
    await sleep(50);
    const started = Date.now();
    controller.abort(new Error('user gave up'));
    await expect(request).rejects.toThrow('user gave up');
    expect(Date.now() - started).toBeLessThan(200);
    expect(server.requests).toHaveLength(1);
  });

  it('tells a failure log everything, named by operation', async () => {
    const { server, proxy } = await setup();
    server.script({ status: 503 }, { status: 502 });
    const client = createFetch(quickRetries);
    const log = new FailureLog();
    log.attach(client, { component: 'http' });
    await client(`${proxy.url}/ok`);
    const operation = `GET 127.0.0.1:${proxy.port}`;
    expect(log.list().map((record) => [record.operation, record.status, record.component])).toEqual([
      [operation, 503, 'http'],
      [operation, 502, 'http'],
    ]);
    expect(log.rates()[0]).toMatchObject({ operation, failures: 2, successes: 1 });
  });
});
