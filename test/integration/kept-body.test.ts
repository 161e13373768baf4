import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { keptBodyRequest } from '../../src/server/kept-body.js';
import { ReadAheadBudget } from '../../src/server/read-ahead-budget.js';

/**
 * A PATCH whose connection is reset mid-body, on real sockets: the client declares 1 MiB, sends 512 KiB and
 * resets; the handler reads the rest only after the reset. lifeline's body ends with a true prefix of what
 * was sent (what the server had received); Node's own web adapter — what @tus/server uses — fails instead,
 * and the bytes it held are gone.
 */

const DECLARED_BYTES = 1024 * 1024;
const SENT = randomBytes(512 * 1024);

let server: Server | undefined;
afterEach(() => server?.close());

/** Starts a server with this handler; its port. */
async function serve(handler: RequestListener): Promise<number> {
  const started = createServer(handler);
  server = started;
  await new Promise<void>((resolve) => started.listen(0, '127.0.0.1', resolve));
  return (started.address() as AddressInfo).port;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const REQUEST_HEAD = `PATCH /files/x HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: ${DECLARED_BYTES}\r\n\r\n`;

async function resetMidBody(toStream: (req: IncomingMessage) => ReadableStream<Uint8Array>) {
  let clientReset!: () => void;
  const reset = new Promise<void>((resolve) => {
    clientReset = resolve;
  });
  type Outcome = { bytes: Buffer; error?: unknown; bodyBytesRead: number };
  let report!: (outcome: Outcome) => void;
  const outcome = new Promise<Outcome>((resolve) => {
    report = resolve;
  });
  const port = await serve(async (req) => {
    const reader = toStream(req).getReader();
    const parts: Uint8Array[] = [];
    const first = await reader.read(); // the body has started arriving
    if (first.value) parts.push(first.value);
    await reset;
    await sleep(50); // the RST reaches the server
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parts.push(value);
      }
      report({ bytes: Buffer.concat(parts), bodyBytesRead: req.socket.bytesRead - REQUEST_HEAD.length });
    } catch (error) {
      report({
        bytes: Buffer.concat(parts),
        error,
        bodyBytesRead: req.socket.bytesRead - REQUEST_HEAD.length,
      });
    }
  });
  const socket = connect({ port, host: '127.0.0.1' });
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(REQUEST_HEAD);
  socket.write(SENT);
  await sleep(50); // the bytes leave before the reset
  socket.resetAndDestroy();
  clientReset();
  return outcome;
}

describe('keptBodyRequest', () => {
  it('ends a body cut by a reset with every byte that arrived, in order', async () => {
    const { bytes, error, bodyBytesRead } = await resetMidBody(
      (req) => keptBodyRequest(req, new ReadAheadBudget()).request.body as ReadableStream<Uint8Array>,
    );
    expect(error).toBeUndefined();
    expect(bytes.length).toBeGreaterThan(0);
    expect(bytes.length).toBe(bodyBytesRead); // every byte the server read, also those after the reset
    expect(bytes.length).toBeLessThanOrEqual(SENT.length);
    expect(bytes.equals(SENT.subarray(0, bytes.length))).toBe(true);
  });

  it('(control) Node’s web adapter fails on the same reset', async () => {
    const { error } = await resetMidBody((req) => Readable.toWeb(req) as ReadableStream<Uint8Array>);
    expect(error).toBeDefined();
  });

  it('carries method, path and headers, and a whole body ends normally', async () => {
    let report!: (seen: { method: string; path: string; offset: string | null; bytes: number }) => void;
    const seen = new Promise<Parameters<typeof report>[0]>((resolve) => {
      report = resolve;
    });
    const port = await serve(async (req, res) => {
      const { request } = keptBodyRequest(req, new ReadAheadBudget());
      const bytes = (await request.arrayBuffer()).byteLength;
      const path = new URL(request.url).pathname;
      report({ method: request.method, path, offset: request.headers.get('upload-offset'), bytes });
      res.end();
    });
    await fetch(`http://127.0.0.1:${port}/files/abc`, {
      method: 'PATCH',
      headers: { 'upload-offset': '7' },
      body: SENT,
    });
    expect(await seen).toEqual({ method: 'PATCH', path: '/files/abc', offset: '7', bytes: SENT.length });
  });

  it('reads ahead of a slow handler, so a reset finds the bytes in the server rather than in the sender’s kernel', async () => {
    // Bytes the server process has read are kept on a reset; bytes still queued in the sender's kernel
    // are lost with the connection. A reader that stopped at 64 KB left megabytes there.
    const sentBytes = 6 * 1024 * 1024;
    const sent = randomBytes(sentBytes);
    const head = `PATCH /files/x HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: ${8 * 1024 * 1024}\r\n\r\n`;
    let serverSide!: IncomingMessage;
    let clientReset!: () => void;
    const reset = new Promise<void>((resolve) => {
      clientReset = resolve;
    });
    let report!: (bytes: Buffer) => void;
    const kept = new Promise<Buffer>((resolve) => {
      report = resolve;
    });
    const port = await serve(async (req) => {
      serverSide = req;
      const body = keptBodyRequest(req, new ReadAheadBudget()).request.body as ReadableStream<Uint8Array>;
      await reset; // a handler busy elsewhere (a slow disk): it reads nothing until the connection is gone
      report(Buffer.from(await new Response(body).arrayBuffer()));
    });
    const socket = connect({ port, host: '127.0.0.1' });
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(head);
    socket.write(sent);
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && (serverSide?.socket.bytesRead ?? 0) < head.length + sentBytes)
      await sleep(10);
    socket.resetAndDestroy();
    clientReset();
    const bytes = await kept;
    expect(bytes.length).toBe(sentBytes);
    expect(bytes.equals(sent)).toBe(true);
  });
});

describe('a shared read-ahead budget', () => {
  it('holds bodies nobody reads to the budget, and starves none that is read', async () => {
    const budget = new ReadAheadBudget({ totalBytes: 1024 * 1024, perBodyBytes: 8 * 1024 * 1024 });
    const bodyBytes = 3 * 1024 * 1024;
    const sent = [randomBytes(bodyBytes), randomBytes(bodyBytes), randomBytes(bodyBytes)];
    const gates = sent.map(() => {
      let open!: () => void;
      const opened = new Promise<void>((resolve) => {
        open = resolve;
      });
      return { open, opened };
    });
    const received = new Map<number, Promise<Buffer>>();
    const port = await serve((req, res) => {
      const index = Number(req.url?.slice(1));
      const { request, release } = keptBodyRequest(req, budget);
      const body = (async () => {
        await gates[index]?.opened; // busy elsewhere (a lock, a slow disk) until the gate opens
        return Buffer.from(await request.arrayBuffer());
      })();
      received.set(index, body);
      void body.finally(() => {
        release();
        res.end();
      });
    });
    const sockets = sent.map((bytes, index) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.on('error', () => {});
      socket.write(`PATCH /${index} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: ${bodyBytes}\r\n\r\n`);
      socket.write(bytes);
      return socket;
    });
    // Nobody reads: the three bodies read ahead until the budget is spent, and stop there.
    let settled = -1;
    for (const deadline = Date.now() + 5000; Date.now() < deadline && budget.usedBytes !== settled; ) {
      settled = budget.usedBytes;
      await sleep(100);
    }
    expect(budget.usedBytes).toBeGreaterThanOrEqual(budget.totalBytes);
    // Over it by at most what each body may always hold (the floor) and the chunk it was reading then.
    const overBytes = sent.length * (budget.floorBytes + 64 * 1024);
    expect(budget.usedBytes).toBeLessThanOrEqual(budget.totalBytes + overBytes);
    // (Each body alone would have read all 3 MB: its own bound is 8 MiB.)
    // One handler reads while the others still hold the budget: it gets its whole body all the same.
    gates[1]?.open();
    expect((await received.get(1))?.equals(sent[1] as Buffer)).toBe(true);
    gates[0]?.open();
    gates[2]?.open();
    expect((await received.get(0))?.equals(sent[0] as Buffer)).toBe(true);
    expect((await received.get(2))?.equals(sent[2] as Buffer)).toBe(true);
    expect(budget.usedBytes).toBe(0);
    for (const socket of sockets) socket.destroy();
  });

  it('gives a body’s held bytes back to the budget when the handler answers without reading it', async () => {
    const budget = new ReadAheadBudget({ totalBytes: 4 * 1024 * 1024, perBodyBytes: 1024 * 1024 });
    let answered!: () => void;
    const done = new Promise<void>((resolve) => {
      answered = resolve;
    });
    const port = await serve(async (req, res) => {
      const { release } = keptBodyRequest(req, budget);
      const deadline = Date.now() + 5000; // an early refusal, once some of the body was read ahead
      while (budget.usedBytes < 512 * 1024 && Date.now() < deadline) await sleep(10);
      expect(budget.usedBytes).toBeGreaterThanOrEqual(512 * 1024);
      res.statusCode = 412;
      res.end();
      release();
      answered();
    });
    const socket = connect({ port, host: '127.0.0.1' });
    socket.on('error', () => {});
    socket.write(`PATCH /x HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: ${2 * 1024 * 1024}\r\n\r\n`);
    socket.write(randomBytes(2 * 1024 * 1024));
    await done;
    expect(budget.usedBytes).toBe(0);
    socket.destroy();
  });
});
