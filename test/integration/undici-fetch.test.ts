import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUFFERED_BODY } from '../../src/http/body-guard.js';
import { createUndiciFetch } from '../../src/node/undici-fetch.js';

let server: Server;
let base: string;
const transport = createUndiciFetch();

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/empty') {
      response.writeHead(204).end();
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
});
