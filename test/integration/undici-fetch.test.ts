import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUFFERED_BODY } from '../../src/http/body-guard.js';
import { createUndiciFetch } from '../../src/node/undici-fetch.js';

let server: Server;
let base: string;
const LARGE = Buffer.from(Array.from({ length: 2_000_000 }, (_, index) => (index * 7919) % 251));
/** Requests to /hold: answered by no one until the test ends them. */
const held: Array<{ request: IncomingMessage; response: ServerResponse }> = [];
const transport = createUndiciFetch();

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/empty') {
      response.writeHead(204).end();
      return;
    }
    if (request.url === '/large') {
      // Many writes, so the client gets the body in many chunks.
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      for (let offset = 0; offset < LARGE.length; offset += 16_384)
        response.write(LARGE.subarray(offset, offset + 16_384));
      response.end();
      return;
    }
    if (request.url === '/hints') {
      response.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
      response.writeHead(200).end('after the hints');
      return;
    }
    if (request.url === '/hold') {
      held.push({ request, response });
      request.resume();
      return;
    }
    if (request.url === '/cut') {
      response.writeHead(200, { 'content-length': '1000' });
      response.write('only part of it');
      setTimeout(() => response.socket?.resetAndDestroy(), 20);
      return;
    }
    let received = '';
    request.on('data', (chunk) => {
      received += chunk;
    });
    request.on('end', () => {
      response.setHeader('set-cookie', ['a=1', 'b=2']);
      response.setHeader('content-type', 'application/json');
      response.writeHead(201);
      response.end(
        JSON.stringify({ method: request.method, key: request.headers['idempotency-key'], received }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await transport.close();
  await new Promise((resolve) => server.close(resolve));
});

const post = () =>
  transport.fetch(`${base}/echo`, {
    method: 'POST',
    headers: new Headers({ 'Idempotency-Key': 'k-1' }),
    body: 'hello',
  });

describe('createUndiciFetch', () => {
  it('answers a Response with status, every header value, url and the body read once', async () => {
    const response = await post();
    expect(response).toBeInstanceOf(Response);
    expect(response.status).toBe(201);
    expect(response.ok).toBe(true);
    expect(response.url).toBe(`${base}/echo`);
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.clone().headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect((response as Response & { [BUFFERED_BODY]?: true })[BUFFERED_BODY]).toBe(true);
    expect(response.bodyUsed).toBe(false);
    expect(await response.json()).toEqual({ method: 'POST', key: 'k-1', received: 'hello' });
    expect(response.bodyUsed).toBe(true);
    await expect(response.text()).rejects.toThrow(TypeError);
    expect(() => response.clone()).toThrow(TypeError);
  });

  it('reads the same bytes as arrayBuffer, blob, a clone, or a stream', async () => {
    const expected = JSON.stringify({ method: 'POST', key: 'k-1', received: 'hello' });
    const response = await post();
    const copy = response.clone();
    expect(new TextDecoder().decode(await response.arrayBuffer())).toBe(expected);
    expect(await (await copy.blob()).text()).toBe(expected);
    expect((await copy.blob().catch((error: unknown) => error)) instanceof TypeError).toBe(true);

    const streamed = await post();
    const body = streamed.body as ReadableStream<Uint8Array>;
    expect(body).toBeInstanceOf(ReadableStream);
    expect(await new Response(body).text()).toBe(expected);
    expect(streamed.bodyUsed).toBe(true);
    await expect(streamed.text()).rejects.toThrow(TypeError);
  });

  it('a read body still shows as a used stream', async () => {
    const response = await post();
    await response.text();
    expect(response.body?.locked).toBe(true);
    expect(response.bodyUsed).toBe(true);
  });

  it('has no body for a 204', async () => {
    const response = await transport.fetch(`${base}/empty`);
    expect(response.status).toBe(204);
    expect(response.body).toBeNull();
    expect(await response.text()).toBe('');
  });

  it('collects a body of many chunks byte for byte', async () => {
    const response = await transport.fetch(`${base}/large`);
    expect(Buffer.from(await response.arrayBuffer()).equals(LARGE)).toBe(true);
  });

  it('answers the final response after informational ones (103 Early Hints)', async () => {
    const response = await transport.fetch(`${base}/hints`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('after the hints');
  });

  it('an abort while waiting for the answer rejects with its reason and closes the request', async () => {
    const controller = new AbortController();
    const pending = transport.fetch(`${base}/hold`, { method: 'POST', body: 'x', signal: controller.signal });
    await expect.poll(() => held.length).toBe(1);
    const { request } = held.pop() as { request: IncomingMessage };
    const closed = new Promise((resolve) => request.socket.once('close', resolve));
    const reason = new Error('the caller gave up');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await closed; // the connection the request was on is gone, not left answering into the void
  });

  it('an aborted signal rejects at once with its reason, sending nothing', async () => {
    const reason = new Error('already cancelled');
    await expect(transport.fetch(`${base}/hold`, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(held).toHaveLength(0);
  });

  it('a body cut by a reset rejects with undici socket error, never a short body', async () => {
    const failure = await transport.fetch(`${base}/cut`).then(
      async (response) => response.text(),
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as { code?: string }).code).toMatch(/^(UND_ERR_SOCKET|ECONNRESET)$/);
  });

  it('a refused connection rejects with ECONNREFUSED, which classifies as a connection failure', async () => {
    const closed = createNetServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const failure = await transport.fetch(`http://127.0.0.1:${port}/`).catch((error: unknown) => error);
    expect((failure as { code?: string }).code).toBe('ECONNREFUSED');
  });
});
