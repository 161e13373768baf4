import { connect, createServer, type Server, type Socket } from 'node:net';

/** Small real TCP peers for testing the chaos proxy. */

export interface TestServer {
  port: number;
  /** Connections the server accepted. */
  accepted: number;
  /** Bytes it received, over all connections. */
  received: number;
  close(): Promise<void>;
}

function listen(onSocket: (socket: Socket, server: TestServer) => void): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    state.accepted++;
    socket.on('data', (chunk: Buffer) => {
      state.received += chunk.length;
    });
    onSocket(socket, state);
  });
  const state: TestServer = {
    port: 0,
    accepted: 0,
    received: 0,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      state.port = (server.address() as { port: number }).port;
      resolve(state);
    });
  });
}

/** Echoes what it receives. */
export function echoServer(): Promise<TestServer> {
  return listen((socket) => socket.pipe(socket));
}

/** Sends `bytes` bytes (a repeating pattern) to each connection, then ends it. */
export function sourceServer(bytes: number): Promise<TestServer> {
  const payload = pattern(bytes);
  return listen((socket) => socket.end(payload));
}

/** Deterministic bytes, so a test can check that what arrived is what was sent. */
export function pattern(bytes: number): Buffer {
  const buffer = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) buffer[i] = (i * 31 + 7) & 0xff;
  return buffer;
}

export interface Received {
  socket: Socket;
  chunks: Array<{ atMs: number; bytes: number }>;
  data(): Buffer;
  /** Resolves with how the connection ended: 'end' (FIN), an error code, or 'close'. */
  ended: Promise<string>;
  connected: Promise<void>;
}

/** Connects and records everything that arrives, with timestamps. */
export function client(port: number): Received {
  const socket = connect({ host: '127.0.0.1', port });
  const buffers: Buffer[] = [];
  const chunks: Array<{ atMs: number; bytes: number }> = [];
  socket.on('data', (chunk: Buffer) => {
    buffers.push(chunk);
    chunks.push({ atMs: performance.now(), bytes: chunk.length });
  });
  const ended = new Promise<string>((resolve) => {
    socket.on('end', () => resolve('end'));
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    socket.on('close', () => resolve('close'));
  });
  const connected = new Promise<void>((resolve) => socket.on('connect', () => resolve()));
  return { socket, chunks, data: () => Buffer.concat(buffers), ended, connected };
}

/** Resolves once `predicate` holds, polling; rejects after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Like `until`, for a predicate that needs to await (reading a store). */
export async function untilAsync(
  predicate: () => Promise<boolean>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const started = Date.now();
  while (!(await predicate())) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A port nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address() as { port: number };
  await new Promise((resolve) => listener.close(resolve));
  return port;
}
