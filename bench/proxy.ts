/**
 * bench/proxy: throughput through the chaos proxy with no toxics against a direct connection, measured in
 * the same run (bar: at least half the direct throughput), and how closely the bandwidth toxic holds its
 * rate (bar: within 10%).
 */
import { connect, createServer, type Server } from 'node:net';
import { formatBytes } from '../src/core/units.js';
import { ChaosProxy } from '../src/testing/index.js';
import { formatRatio, median } from './harness.js';

const CHUNK = Buffer.alloc(64 * 1024, 0x5a);

/** Sends `bytes` to each connection as fast as the socket takes them. */
function sourceServer(bytes: number): Promise<Server> {
  const server = createServer((socket) => {
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        const size = Math.min(CHUNK.length, bytes - sent);
        sent += size;
        if (!socket.write(size === CHUNK.length ? CHUNK : CHUNK.subarray(0, size))) {
          socket.once('drain', pump);
          return;
        }
      }
      socket.end();
    };
    socket.on('error', () => {});
    pump();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Reads everything from host:port; returns bytes per second, from first byte to last. */
function download(port: number): Promise<{ bytes: number; bytesPerSecond: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let bytes = 0;
    let firstAt = 0;
    let firstBytes = 0;
    socket.on('data', (chunk: Buffer) => {
      if (bytes === 0) {
        firstAt = performance.now();
        firstBytes = chunk.length;
      }
      bytes += chunk.length;
    });
    socket.on('end', () => {
      const seconds = (performance.now() - firstAt) / 1000;
      resolve({ bytes, bytesPerSecond: (bytes - firstBytes) / seconds });
    });
    socket.on('error', reject);
  });
}

const portOf = (server: Server) => (server.address() as { port: number }).port;

export async function benchProxy(quick: boolean): Promise<void> {
  const bytes = quick ? 64 * 1024 * 1024 : 256 * 1024 * 1024;
  const server = await sourceServer(bytes);
  const proxy = await new ChaosProxy({ upstream: { port: portOf(server) } }).start();
  const direct: number[] = [];
  const proxied: number[] = [];
  for (let round = 0; round < (quick ? 3 : 5); round++) {
    direct.push((await download(portOf(server))).bytesPerSecond);
    proxied.push((await download(proxy.port)).bytesPerSecond);
  }
  const ratio = median(proxied) / median(direct);
  console.log(`\nthroughput, ${formatBytes(bytes)} per connection, median of ${direct.length} rounds each`);
  console.log(`  direct        ${formatBytes(median(direct))}/s`);
  console.log(`  chaos proxy   ${formatBytes(median(proxied))}/s  ${formatRatio(ratio)} direct`);
  console.log(`  bar: ≥ 0.50× direct → ${formatRatio(ratio)} ${ratio >= 0.5 ? 'PASS' : 'FAIL'}`);
  await proxy.stop();
  server.close();

  console.log('\nbandwidth toxic: measured rate against the limit');
  let worst = 0;
  for (const bytesPerSecond of [256 * 1024, 2 * 1024 * 1024]) {
    const seconds = quick ? 2 : 4;
    const rateServer = await sourceServer(bytesPerSecond * seconds);
    const limited = await new ChaosProxy({
      upstream: { port: portOf(rateServer) },
      toxics: [{ type: 'bandwidth', bytesPerSecond, direction: 'downstream' }],
    }).start();
    const measured = (await download(limited.port)).bytesPerSecond;
    const error = Math.abs(measured - bytesPerSecond) / bytesPerSecond;
    worst = Math.max(worst, error);
    console.log(
      `  limit ${formatBytes(bytesPerSecond)}/s over ${seconds}s → ${formatBytes(measured)}/s (${(error * 100).toFixed(1)}% off)`,
    );
    await limited.stop();
    rateServer.close();
  }
  console.log(`  bar: within 10% → worst ${(worst * 100).toFixed(1)}% ${worst <= 0.1 ? 'PASS' : 'FAIL'}`);
}
