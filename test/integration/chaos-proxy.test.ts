import { afterEach, describe, expect, it } from 'vitest';
import { ChaosProxy, type ToxicSpec } from '../../src/testing/index.js';
import { client, echoServer, pattern, sleep, sourceServer, type TestServer, until } from './support/tcp.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function setup(server: Promise<TestServer>, toxics: ToxicSpec[] = [], seed = 42) {
  const upstream = await server;
  const proxy = await new ChaosProxy({ upstream: { port: upstream.port }, toxics, seed }).start();
  cleanup.push(
    () => upstream.close(),
    () => proxy.stop(),
  );
  return { upstream, proxy };
}

/** Sends `message` through an echo and waits for it back; returns the round-trip time. */
async function roundTrip(connection: ReturnType<typeof client>, message: Buffer): Promise<number> {
  const before = connection.data().length;
  const started = performance.now();
  connection.socket.write(message);
  await until(() => connection.data().length >= before + message.length, 5000, 'echo');
  return performance.now() - started;
}

describe('ChaosProxy', () => {
  it('forwards both ways untouched with no toxics, and counts bytes', async () => {
    const { proxy } = await setup(echoServer());
    const connection = client(proxy.port);
    const message = pattern(100_000);
    await roundTrip(connection, message);
    expect(connection.data().equals(message)).toBe(true);
    expect(proxy.counters).toMatchObject({
      connectionsAccepted: 1,
      bytesUpstream: 100_000,
      bytesDownstream: 100_000,
    });
    connection.socket.end();
  });

  it('latency delays each direction by its amount, with jitter within bounds', async () => {
    const { proxy } = await setup(echoServer(), [
      { type: 'latency', latencyMs: 150, jitterMs: 50, direction: 'downstream' },
    ]);
    const connection = client(proxy.port);
    await connection.connected;
    const times: number[] = [];
    for (let i = 0; i < 5; i++) times.push(await roundTrip(connection, Buffer.from(`ping ${i}`)));
    for (const ms of times) {
      expect(ms).toBeGreaterThanOrEqual(95);
      expect(ms).toBeLessThan(600);
    }
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(5); // jitter varies it
    connection.socket.end();
  });

  it('bandwidth holds its rate over a multi-second transfer', async () => {
    const bytes = 300_000;
    const { proxy } = await setup(sourceServer(bytes), [
      { type: 'bandwidth', bytesPerSecond: 100_000, direction: 'downstream' },
    ]);
    const connection = client(proxy.port);
    expect(await connection.ended).toBe('end');
    const first = connection.chunks[0]?.atMs as number;
    const last = connection.chunks.at(-1)?.atMs as number;
    const rate = (bytes - (connection.chunks[0]?.bytes ?? 0)) / ((last - first) / 1000);
    expect(rate).toBeGreaterThan(90_000);
    expect(rate).toBeLessThan(110_000);
    expect(connection.data().equals(pattern(bytes))).toBe(true);
  });

  it('slicer delivers small segments, intact', async () => {
    const { proxy } = await setup(sourceServer(10_000), [
      { type: 'slicer', averageSizeBytes: 100, sizeVariationBytes: 50, delayMs: 1, direction: 'downstream' },
    ]);
    const connection = client(proxy.port);
    await connection.ended;
    expect(connection.chunks.length).toBeGreaterThan(40);
    expect(Math.max(...connection.chunks.map((chunk) => chunk.bytes))).toBeLessThanOrEqual(300);
    expect(connection.data().equals(pattern(10_000))).toBe(true);
  });

  it('reset at once: the client gets ECONNRESET and the upstream is never contacted', async () => {
    const { proxy, upstream } = await setup(echoServer(), [{ type: 'reset' }]);
    const connection = client(proxy.port);
    connection.socket.write('hello');
    expect(await connection.ended).toBe('ECONNRESET');
    expect(proxy.counters.resetsInjected).toBe(1);
    expect(upstream.accepted).toBe(0);
  });

  it('reset after N bytes: N bytes are forwarded, then ECONNRESET', async () => {
    const { proxy } = await setup(sourceServer(50_000), [
      { type: 'reset', afterBytes: 1000, direction: 'downstream' },
    ]);
    const connection = client(proxy.port);
    expect(await connection.ended).toBe('ECONNRESET');
    expect(proxy.counters).toMatchObject({ bytesDownstream: 1000, resetsInjected: 1 });
    // A real RST may discard bytes the client had not read yet: what arrived is a prefix of at most N.
    const received = connection.data();
    expect(received.length).toBeLessThanOrEqual(1000);
    expect(received.equals(pattern(50_000).subarray(0, received.length))).toBe(true);
  });

  it('close after N bytes: N bytes, then a clean end', async () => {
    const { proxy } = await setup(sourceServer(50_000), [
      { type: 'close', afterBytes: 2048, direction: 'downstream' },
    ]);
    const connection = client(proxy.port);
    expect(await connection.ended).toBe('end');
    expect(connection.data().length).toBe(2048);
    expect(proxy.counters.closesInjected).toBe(1);
  });

  it('black hole: data vanishes, the connection stays open', async () => {
    const { proxy, upstream } = await setup(echoServer(), [{ type: 'blackhole', direction: 'upstream' }]);
    const connection = client(proxy.port);
    connection.socket.write(pattern(5000));
    await until(() => proxy.counters.bytesDropped === 5000, 2000, 'dropped bytes');
    await sleep(200);
    expect(upstream.received).toBe(0);
    expect(connection.data().length).toBe(0);
    expect(connection.socket.destroyed).toBe(false);
    connection.socket.destroy();
  });

  it('stall after N bytes: N bytes, then nothing, with the connection open', async () => {
    const { proxy } = await setup(sourceServer(100_000), [
      { type: 'stall', afterBytes: 4096, direction: 'downstream' },
    ]);
    const connection = client(proxy.port);
    await until(() => connection.data().length === 4096, 2000, 'first bytes');
    await sleep(300);
    expect(connection.data().length).toBe(4096);
    expect(connection.socket.destroyed).toBe(false);
    expect(proxy.counters.stallsInjected).toBe(1);
    connection.socket.destroy();
  });

  it('refuse: new connections get ECONNREFUSED; accept listens again on the same port', async () => {
    const { proxy } = await setup(echoServer());
    const port = proxy.port;
    await proxy.refuse();
    expect(await client(port).ended).toBe('ECONNREFUSED');
    await proxy.accept();
    expect(proxy.port).toBe(port);
    const connection = client(port);
    await roundTrip(connection, Buffer.from('back'));
    connection.socket.end();
  });

  it('a scheduled outage resets open connections, refuses new ones, then recovers', async () => {
    const { proxy } = await setup(echoServer());
    const before = client(proxy.port);
    await roundTrip(before, Buffer.from('hi'));
    proxy.scheduleOutage({ startInMs: 100, durationMs: 400 });
    expect(await before.ended).toBe('ECONNRESET');
    await sleep(50);
    expect(await client(proxy.port).ended).toBe('ECONNREFUSED');
    await until(() => proxy.isListening, 2000, 'the outage to end');
    const after = client(proxy.port);
    await roundTrip(after, Buffer.from('again'));
    after.socket.end();
  });

  it('probability applies a toxic to that share of connections, replayably from a seed', async () => {
    const outcomes = async (seed: number) => {
      const { proxy } = await setup(echoServer(), [{ type: 'reset', probability: 0.3 }], seed);
      const results: string[] = [];
      for (let i = 0; i < 60; i++) {
        const connection = client(proxy.port);
        connection.socket.write('x');
        const result = await Promise.race([
          connection.ended,
          until(() => connection.data().length > 0).then(() => 'ok'),
        ]);
        results.push(result);
        connection.socket.destroy();
      }
      return results;
    };
    const first = await outcomes(7);
    const resets = first.filter((result) => result === 'ECONNRESET').length;
    expect(resets).toBeGreaterThan(8);
    expect(resets).toBeLessThan(32);
    expect(await outcomes(7)).toEqual(first);
  });

  it('changes toxics at runtime without dropping a healthy connection', async () => {
    const { proxy } = await setup(echoServer());
    const connection = client(proxy.port);
    expect(await roundTrip(connection, Buffer.from('a'))).toBeLessThan(100);
    proxy.addToxic({ name: 'slow', type: 'latency', latencyMs: 200 });
    expect(await roundTrip(connection, Buffer.from('b'))).toBeGreaterThanOrEqual(190);
    proxy.updateToxic('slow', { latencyMs: 0 });
    expect(await roundTrip(connection, Buffer.from('c'))).toBeLessThan(150);
    proxy.removeToxic('slow');
    expect(() => proxy.removeToxic('slow')).toThrow("no toxic named 'slow'"); // it is gone
    expect(await roundTrip(connection, Buffer.from('d'))).toBeLessThan(100);
    expect(connection.data().toString()).toBe('abcd');
    expect(proxy.counters.connectionsAccepted).toBe(1);
    connection.socket.end();
  });

  it('refuses bad toxics with a clear message', async () => {
    const { proxy } = await setup(echoServer());
    expect(() => proxy.addToxic({ type: 'latency', latencyMs: -1 })).toThrow(
      /toxic 'latency': latencyMs must be a number ≥ 0/,
    );
    expect(() => proxy.addToxic({ type: 'reset', probability: 2 })).toThrow(
      /probability must be a number between 0 and 1/,
    );
    expect(() => proxy.removeToxic('nope')).toThrow("no toxic named 'nope' (known: none)");
  });
});
