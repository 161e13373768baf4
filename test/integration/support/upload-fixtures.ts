import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { undiciTusTransport } from '../../../src/node/undici-tus-transport.js';
import { createServer, type LifelineServer, type ServerOptions } from '../../../src/server/index.js';
import { ChaosProxy, type ToxicSpec } from '../../../src/testing/index.js';
import { tempDir } from './queue-fixtures.js';

export const MiB = 1024 * 1024;

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A file of random bytes on disk. */
export function randomFile(size: number, name = 'payload.bin'): { path: string; bytes: Buffer } {
  const bytes = randomBytes(size);
  const path = join(tempDir('lifeline-file-'), name);
  writeFileSync(path, bytes);
  return { path, bytes };
}

/** lifeline's server (tus at /files/) behind a chaos proxy, and a keep-alive tus transport. */
export async function uploadRig(toxics: ToxicSpec[] = [], serverOptions: Partial<ServerOptions> = {}) {
  const server: LifelineServer = createServer({
    dataDir: tempDir('lifeline-tus-'),
    port: 0,
    synchronous: 'normal',
    ...serverOptions,
  });
  await server.start();
  const proxy = await new ChaosProxy({ upstream: { port: server.port }, toxics, seed: 5 }).start();
  const tus = undiciTusTransport();
  return {
    server,
    proxy,
    transport: tus.transport,
    endpoint: `${proxy.url}/files/`,
    async close() {
      await tus.close();
      await proxy.stop();
      await server.stop();
    },
  };
}
