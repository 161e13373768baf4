import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { classify } from '../../src/index.js';
import { ConnectivityMonitor } from '../../src/network/index.js';
import { tcpProbe } from '../../src/node/tcp-probe.js';

interface Peer {
  port: number;
  /** Resolves when the server has seen `count` connections close. */
  closed(count: number): Promise<void>;
  close(): Promise<void>;
}

const servers: Server[] = [];

function listen(): Promise<Peer> {
  let closedCount = 0;
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      closedCount++;
      for (const waiter of waiters) if (closedCount >= waiter.count) waiter.resolve();
    });
  });
  servers.push(server);
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as { port: number }).port,
        closed: (count) =>
          closedCount >= count
            ? Promise.resolve()
            : new Promise((done) => waiters.push({ count, resolve: done })),
        close: () =>
          new Promise((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** A port nothing listens on: bind one, then free it. */
async function closedPort(): Promise<number> {
  const peer = await listen();
  await peer.close();
  return peer.port;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(() => done(null)))));
});

const signal = () => new AbortController().signal;

describe('tcpProbe (real sockets)', () => {
  it('resolves ok with a latency when the handshake completes, and closes the connection', async () => {
    const peer = await listen();
    const result = await tcpProbe({ host: '127.0.0.1', port: peer.port })({ signal: signal() });
    expect(result.ok).toBe(true);
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(result.latencyMs).toBeLessThan(5000);
    await peer.closed(1); // the probe destroyed its socket: the server sees it go
    await peer.close();
  });

  it('resolves ok: false with the connection error on a closed port', async () => {
    const port = await closedPort();
    const result = await tcpProbe({ host: '127.0.0.1', port })({ signal: signal() });
    expect(result.ok).toBe(false);
    expect(result.error).toMatchObject({ code: 'ECONNREFUSED' });
    expect(classify(result.error).message).toBe(`connection refused (127.0.0.1:${port})`);
  });

  it('resolves ok: false with the signal’s reason when aborted, before or during the connect', async () => {
    const peer = await listen();
    const probe = tcpProbe({ host: '127.0.0.1', port: peer.port });
    const reason = new Error('probe timed out');
    await expect(probe({ signal: AbortSignal.abort(reason) })).resolves.toEqual({
      ok: false,
      latencyMs: 0,
      error: reason,
    });

    const controller = new AbortController();
    const pending = probe({ signal: controller.signal });
    controller.abort(reason); // the connect has not completed: it needs an event-loop turn
    await expect(pending).resolves.toMatchObject({ ok: false, error: reason });
    await peer.close();
  });

  it('drives a ConnectivityMonitor: online while the server listens, offline once it is gone', async () => {
    const peer = await listen();
    const monitor = new ConnectivityMonitor({
      probe: tcpProbe({ host: '127.0.0.1', port: peer.port }),
      failuresToOffline: 1,
    });
    await expect(monitor.check()).resolves.toBe('online');
    await peer.close();
    await expect(monitor.check()).resolves.toBe('offline');
    expect(monitor.snapshot().reason).toBe(`probe failed: connection refused (127.0.0.1:${peer.port})`);
    await monitor.stop();
  });

  it('refuses a bad host or port', () => {
    expect(() => tcpProbe({ host: '', port: 80 })).toThrow(/host must be a non-empty/);
    expect(() => tcpProbe({ host: 'example.com', port: 0 })).toThrow(/port must be an integer ≥ 1/);
    expect(() => tcpProbe({ host: 'example.com', port: 70_000 })).toThrow(/port must be an integer ≤ 65535/);
  });
});
