import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A small HTTP server for tests of resilientFetch: real sockets, scripted answers, and an operations
 * endpoint that honours Idempotency-Key the way a careful server does.
 *
 *   GET  /ok                     200 "ok"
 *   GET  /slow?ms=N              200 after N ms
 *   GET  /bytes?n=N&chunk=C&gapMs=G   N bytes in chunks of C with G ms between them
 *   POST /ops                    applies the operation once per Idempotency-Key; a repeat gets the first answer
 *   any  (scripted)              `script(...)` answers the next requests with given statuses and headers
 */
export interface TestHttpServer {
  url: string;
  port: number;
  /** Requests received, in order: method, path, and when. */
  requests: Array<{ method: string; path: string; atMs: number; key?: string }>;
  /** Times each Idempotency-Key was applied (a correct client + server keep every count at 1). */
  applied: Map<string, number>;
  /** Answers the next requests with these, in order, before normal routing resumes. */
  script(...answers: Array<{ status: number; headers?: Record<string, string>; body?: string }>): void;
  close(): Promise<void>;
}

export async function startHttpServer(): Promise<TestHttpServer> {
  const scripted: Array<{ status: number; headers?: Record<string, string>; body?: string }> = [];
  const applied = new Map<string, number>();
  const answers = new Map<string, string>();
  const requests: TestHttpServer['requests'] = [];
  const sockets = new Set<Socket>();

  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://test');
    const key = request.headers['idempotency-key'] as string | undefined;
    requests.push({
      method: request.method ?? 'GET',
      path: url.pathname,
      atMs: Date.now(),
      ...(key ? { key } : {}),
    });
    const body = await readBody(request);
    const next = scripted.shift();
    if (next) {
      response.writeHead(next.status, next.headers ?? {});
      response.end(next.body ?? '');
      return;
    }
    switch (url.pathname) {
      case '/ok':
        response.end('ok');
        return;
      case '/slow':
        setTimeout(() => response.end('slow'), Number(url.searchParams.get('ms') ?? 100));
        return;
      case '/bytes':
        return sendBytes(response, url);
      case '/ops': {
        if (!key) {
          response.writeHead(400).end('Idempotency-Key required');
          return;
        }
        const first = answers.get(key);
        if (first !== undefined) {
          response
            .writeHead(200, { 'content-type': 'application/json', 'idempotent-replay': 'true' })
            .end(first);
          return;
        }
        applied.set(key, (applied.get(key) ?? 0) + 1);
        const answer = JSON.stringify({ applied: key, body });
        answers.set(key, answer);
        response.writeHead(201, { 'content-type': 'application/json' }).end(answer);
        return;
      }
      default:
        response.writeHead(404).end('not found');
    }
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    applied,
    script: (...list) => scripted.push(...list),
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

async function sendBytes(response: ServerResponse, url: URL): Promise<void> {
  const total = Number(url.searchParams.get('n') ?? 1024);
  const chunk = Number(url.searchParams.get('chunk') ?? 16_384);
  const gapMs = Number(url.searchParams.get('gapMs') ?? 0);
  response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
  for (let sent = 0; sent < total && !response.destroyed; sent += chunk) {
    response.write(Buffer.alloc(Math.min(chunk, total - sent), 0x61));
    if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
  response.end();
}
