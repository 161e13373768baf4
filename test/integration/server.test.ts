import { request as httpRequest } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { join } from 'node:path';
import { Agent } from 'undici';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/core/errors.js';
import {
  createServer,
  type LifelineServer,
  ListenError,
  type ServerEvents,
  type ServerOptions,
} from '../../src/server/index.js';
import { type AppliedOperation, OpsStore } from '../../src/server/ops-store.js';
import { startedServers } from './support/servers.js';
import { sleep, until } from './support/tcp.js';

const { started, tempDir } = startedServers('lifeline-server-');

function post(
  server: LifelineServer,
  kind: string,
  body: string | Uint8Array = '',
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${server.url}/ops/${kind}`, { method: 'POST', body, headers });
}

async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

function collect<K extends keyof ServerEvents>(server: LifelineServer, name: K): Array<ServerEvents[K]> {
  const events: Array<ServerEvents[K]> = [];
  server.on(name, (event) => events.push(event));
  return events;
}

describe('createServer', () => {
  it('answers health with its uptime and how many operations it holds', async () => {
    const server = await started();
    const before = await fetch(`${server.url}/health`);
    expect(before.status).toBe(200);
    expect(before.headers.get('content-type')).toContain('application/json');
    expect(await json(before)).toMatchObject({ status: 'ok', operations: 0, uptimeMs: expect.any(Number) });
    await post(server, 'note', 'x');
    expect(await json(await fetch(`${server.url}/health`))).toMatchObject({ operations: 1 });
  });

  it('records an operation and lists it, with filters, by id, and programmatically', async () => {
    const server = await started();
    const events = collect(server, 'operation');
    const created = await post(server, 'reading', '{"depth":42}', {
      'content-type': 'application/json',
      'idempotency-key': 'k-1',
    });
    expect(created.status).toBe(201);
    const first = await json(created);
    expect(first).toEqual({ id: 1, kind: 'reading', idempotencyKey: 'k-1', appliedAt: expect.any(String) });
    expect(created.headers.get('location')).toBe('/ops/1');
    expect(created.headers.get('idempotency-replayed')).toBeNull();
    expect(events).toEqual([{ id: 1, kind: 'reading', idempotencyKey: 'k-1', replayed: false }]);

    await post(server, 'note', 'hello', { 'content-type': 'text/plain' });
    await post(server, 'reading', new Uint8Array([0xff, 0xfe, 0x00]));

    const all = await json<Array<Record<string, unknown>>>(await fetch(`${server.url}/ops`));
    expect(all).toEqual([
      {
        id: 1,
        kind: 'reading',
        idempotencyKey: 'k-1',
        body: '{"depth":42}',
        bodyEncoding: 'utf8',
        contentType: 'application/json',
        appliedAt: first.appliedAt,
      },
      expect.objectContaining({
        id: 2,
        kind: 'note',
        idempotencyKey: null,
        body: 'hello',
        contentType: 'text/plain',
      }),
      expect.objectContaining({ id: 3, kind: 'reading', body: '//4A', bodyEncoding: 'base64' }),
    ]);
    const ids = async (query: string) =>
      (await json<Array<{ id: number }>>(await fetch(`${server.url}/ops${query}`))).map((op) => op.id);
    expect(await ids('?kind=reading')).toEqual([1, 3]);
    expect(await ids('?since=1')).toEqual([2, 3]);
    expect(await ids('?kind=reading&since=1')).toEqual([3]);
    expect(await ids('?limit=2')).toEqual([1, 2]);
    expect(await ids('?kind=nothing-of-this-kind')).toEqual([]);

    const one = await fetch(`${server.url}/ops/2`);
    expect(one.status).toBe(200);
    expect(await json(one)).toMatchObject({ id: 2, body: 'hello' });
    const missing = await fetch(`${server.url}/ops/99`);
    expect(missing.status).toBe(404);
    expect(await json(missing)).toMatchObject({ error: 'not_found' });
    for (const query of ['?limit=0', '?limit=10001', '?since=abc', '?kind=no%20spaces']) {
      const bad = await fetch(`${server.url}/ops${query}`);
      expect(bad.status, query).toBe(400);
    }

    expect(server.operations({ kind: 'note' }).map((op) => op.body)).toEqual(['hello']);
    expect(server.operation(3)?.bodyEncoding).toBe('base64');
    expect(server.operationCount).toBe(3);
  });

  it('applies a repeated Idempotency-Key once and answers it with the first response again', async () => {
    const server = await started();
    const events = collect(server, 'operation');
    const send = () => post(server, 'payment', '{"cents":500}', { 'idempotency-key': 'pay-1' });
    const first = await send();
    const firstText = await first.text();
    const second = await send();
    expect(second.status).toBe(first.status);
    expect(await second.text()).toBe(firstText);
    expect(second.headers.get('idempotency-replayed')).toBe('true');
    // The IETF draft writes the key as a quoted string: the same key.
    const quoted = await post(server, 'payment', '{"cents":500}', { 'idempotency-key': '"pay-1"' });
    expect(quoted.headers.get('idempotency-replayed')).toBe('true');
    await quoted.text();

    expect(server.operations()).toHaveLength(1);
    expect(server.appliedCountByKey()).toEqual(new Map([['pay-1', 1]]));
    expect(events.map((event) => event.replayed)).toEqual([false, true, true]);
  });

  it('applies once when the same key arrives many times at once', async () => {
    const server = await started();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => post(server, 'order', 'one pizza', { 'idempotency-key': 'order-7' })),
    );
    const bodies = await Promise.all(responses.map((response) => response.text()));
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(201));
    expect(new Set(bodies).size).toBe(1);
    expect(
      responses.filter((response) => response.headers.get('idempotency-replayed') === 'true'),
    ).toHaveLength(19);
    expect(server.operations()).toHaveLength(1);
    expect(server.appliedCountByKey().get('order-7')).toBe(1);
  });

  it('refuses a key reused for a different body or kind with 422, applying nothing', async () => {
    const server = await started();
    expect((await post(server, 'note', 'first', { 'idempotency-key': 'k' })).status).toBe(201);
    const otherBody = await post(server, 'note', 'second', { 'idempotency-key': 'k' });
    expect(otherBody.status).toBe(422);
    const refusal = await json<{ error: string; message: string }>(otherBody);
    expect(refusal.error).toBe('idempotency_key_reused');
    expect(refusal.message).toContain("the Idempotency-Key 'k' was reused for a different request");
    const otherKind = await post(server, 'memo', 'first', { 'idempotency-key': 'k' });
    expect(otherKind.status).toBe(422);
    await otherKind.text();
    expect(server.operations().map((op) => op.body)).toEqual(['first']);
  });

  it('applies a request without a key every time it arrives', async () => {
    const server = await started();
    for (let i = 0; i < 3; i++) expect((await post(server, 'ping', 'same body')).status).toBe(201);
    expect(server.operations()).toHaveLength(3);
    expect(server.appliedCountByKey().size).toBe(0);
  });

  it('refuses an invalid kind or key with 400 and a body over the limit with 413', async () => {
    const server = await started({ maxBodyBytes: 1024 });
    for (const kind of ['has%20space', 'a'.repeat(65), 'semi%3Bcolon']) {
      const response = await post(server, kind, 'x');
      expect(response.status, kind).toBe(400);
      expect((await json<{ message: string }>(response)).message).toContain('is not a valid operation kind');
    }
    const badKey = await post(server, 'note', 'x', { 'idempotency-key': 'has space' });
    expect(badKey.status).toBe(400);
    expect(await json(badKey)).toMatchObject({ error: 'invalid_idempotency_key' });

    const declared = await post(server, 'note', 'x'.repeat(2048));
    expect(declared.status).toBe(413);
    expect((await json<{ message: string }>(declared)).message).toContain(
      'larger than this server accepts (1.0 KB)',
    );
    expect((await post(server, 'note', 'x'.repeat(1024))).status).toBe(201); // exactly the limit is fine

    // No Content-Length (chunked): refused once the count passes the limit.
    const chunked = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpRequest(`${server.url}/ops/note`, { method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.write('y'.repeat(800));
      req.end('y'.repeat(800));
    });
    expect(chunked).toBe(413);
    expect(server.operations().map((op) => op.body.length)).toEqual([1024]);
  });

  it('answers an unknown path with 404 and a wrong method with 405 and Allow', async () => {
    const server = await started();
    const unknown = await fetch(`${server.url}/nowhere`);
    expect(unknown.status).toBe(404);
    expect(await json(unknown)).toMatchObject({
      error: 'not_found',
      message: expect.stringContaining('/nowhere'),
    });
    const wrong = await fetch(`${server.url}/ops/note`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST, GET, HEAD');
    await wrong.text();
    const postHealth = await fetch(`${server.url}/health`, { method: 'POST' });
    expect(postHealth.status).toBe(405);
    expect(postHealth.headers.get('allow')).toBe('GET, HEAD');
    await postHealth.text();
  });

  it('pushes back on demand: 429 with Retry-After, nothing applied, then normal again', async () => {
    const server = await started();
    const pushbacks = collect(server, 'pushback');
    server.injectPushback({ status: 429, retryAfterSeconds: 2, durationMs: 300 });
    const refused = await post(server, 'note', 'x', { 'idempotency-key': 'later' });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(await json(refused)).toMatchObject({ error: 'rate_limited' });
    expect(server.operations()).toHaveLength(0);
    expect(pushbacks).toEqual([{ kind: 'note', status: 429, retryAfterSeconds: 2 }]);
    // Reads are not refused.
    expect((await fetch(`${server.url}/health`)).status).toBe(200);

    const statuses: number[] = [];
    const retrying = (async () => {
      while (statuses.at(-1) !== 201) {
        const response = await post(server, 'note', 'x', { 'idempotency-key': 'later' });
        await response.text();
        statuses.push(response.status);
        await sleep(20);
      }
    })();
    await until(() => statuses.at(-1) === 201, 5000, 'the pushback to end');
    await retrying;
    expect(new Set(statuses.slice(0, -1))).toEqual(statuses.length > 1 ? new Set([429]) : new Set());
    expect(server.operations()).toHaveLength(1);

    server.injectPushback({ status: 503 });
    const unavailable = await post(server, 'note', 'y');
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBe('1');
    await unavailable.text();
    server.clearPushback();
    expect((await post(server, 'note', 'y')).status).toBe(201);
    expect(() => server.injectPushback({ status: 500 as 429 })).toThrow(InvalidOptionError);
  });

  it('remembers keys and operations across a restart on the same data directory', async () => {
    const dataDir = join(tempDir(), 'data');
    const first = await started({ dataDir, synchronous: 'normal' });
    const original = await post(first, 'note', 'kept', { 'idempotency-key': 'durable' });
    const originalText = await original.text();
    await post(first, 'note', 'also kept');
    await first.stop();

    const second = await started({ dataDir });
    const replay = await post(second, 'note', 'kept', { 'idempotency-key': 'durable' });
    expect(replay.headers.get('idempotency-replayed')).toBe('true');
    expect(await replay.text()).toBe(originalText);
    const listed = await json<Array<{ id: number; body: string }>>(await fetch(`${second.url}/ops`));
    expect(listed.map((op) => op.body)).toEqual(['kept', 'also kept']);
    expect(await json(await fetch(`${second.url}/health`))).toMatchObject({ operations: 2 });
    const next = await json<{ id: number }>(await post(second, 'note', 'new'));
    expect(next.id).toBe(3);
    expect(second.appliedCountByKey()).toEqual(new Map([['durable', 1]]));
  });

  it('stops promptly with idle keep-alive connections open, and emits listening and closed', async () => {
    const server = createServer({ port: 0, dataDir: join(tempDir(), 'data') });
    const lifecycle: string[] = [];
    server.on('listening', ({ url }) => lifecycle.push(`listening ${url}`));
    server.on('closed', () => lifecycle.push('closed'));
    await server.start();
    const agent = new Agent({ keepAliveTimeout: 60_000, connections: 4 });
    try {
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          const response = await agent.request({ origin: server.url, path: '/health', method: 'GET' });
          await response.body.text();
        }),
      );
      const startedAt = Date.now();
      await server.stop();
      expect(Date.now() - startedAt).toBeLessThan(1000);
    } finally {
      await agent.close();
    }
    expect(lifecycle).toEqual([`listening ${server.url}`, 'closed']);
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
    await server.stop(); // twice is fine
  });

  it('gives a request that never finishes stopGraceMs, then closes its connection', async () => {
    const server = createServer({ port: 0, dataDir: join(tempDir(), 'data'), stopGraceMs: 200 });
    await server.start();
    const stalled = httpRequest(`${server.url}/ops/note`, {
      method: 'POST',
      headers: { 'content-length': '100' },
    });
    const ended = new Promise<string>((resolve) => {
      stalled.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      stalled.on('response', (res) => resolve(`status ${res.statusCode}`));
    });
    stalled.write('only part of the body');
    await until(() => stalled.socket?.writableLength === 0, 5000, 'the partial body to be sent');
    await sleep(50);
    const startedAt = Date.now();
    await server.stop();
    const tookMs = Date.now() - startedAt;
    expect(tookMs).toBeGreaterThanOrEqual(150);
    expect(tookMs).toBeLessThan(2000);
    expect(await ended).toBe('ECONNRESET');
  });

  it('says clearly when the port is taken, and requires a data directory', async () => {
    const blocker: TcpServer = createTcpServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const server = createServer({ port, dataDir: join(tempDir(), 'data') });
      const error = await server.start().then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(ListenError);
      expect(error).toMatchObject({ code: 'EADDRINUSE', port });
      expect((error as Error).message).toContain(`127.0.0.1:${port} is in use`);
    } finally {
      blocker.close();
    }
    expect(() => createServer({} as ServerOptions)).toThrow(/dataDir is required/);
  });
});

describe('OpsStore group commit', () => {
  it('isolates a failing request in its savepoint and answers a key repeated within the batch as a replay', () => {
    const store = new OpsStore(join(tempDir(), 'server.db'));
    try {
      const respond = (applied: AppliedOperation) => ({ status: 201, body: JSON.stringify(applied) });
      const op = (kind: string, body: string, key?: string) => ({
        operation: {
          kind,
          body: Buffer.from(body),
          appliedAtMs: 0,
          ...(key === undefined ? {} : { idempotencyKey: key, fingerprint: `${kind}:${body}` }),
        },
        respond,
      });
      const results = store.recordMany([
        op('a', 'one', 'k1'),
        {
          ...op('b', 'two', 'k2'),
          respond: () => {
            throw new Error('respond failed');
          },
        },
        op('a', 'one', 'k1'),
        op('c', 'three'),
      ]);
      expect(results.map((result) => (result instanceof Error ? result.message : result.outcome))).toEqual([
        'applied',
        'respond failed',
        'replayed',
        'applied',
      ]);
      expect(store.list().map((stored) => stored.body)).toEqual(['one', 'three']);
      expect(store.size).toBe(2);
      expect(store.appliedCountByKey()).toEqual(new Map([['k1', 1]]));
      expect(store.record(op('b', 'two', 'k2').operation, respond).outcome).toBe('applied');
    } finally {
      store.close();
    }
  });
});
