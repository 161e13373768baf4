import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { createServer, type LifelineServer, type ServerOptions } from '../../../src/server/index.js';

/**
 * Embedded servers on ephemeral loopback ports, each with its own data directory, all stopped after each
 * test. Call at the top of a test file: `const { started, tempDir } = startedServers('lifeline-tus-')`.
 */
export function startedServers(prefix: string) {
  const tempDir = () => mkdtempSync(join(tmpdir(), prefix));
  const servers: LifelineServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });
  /** A server not yet started (to listen to its start-up events), stopped after the test all the same. */
  function created(options: Partial<ServerOptions> = {}): LifelineServer {
    const server = createServer({ port: 0, dataDir: join(tempDir(), 'data'), ...options });
    servers.push(server);
    return server;
  }
  async function started(options: Partial<ServerOptions> = {}): Promise<LifelineServer> {
    const server = created(options);
    await server.start();
    return server;
  }
  return { created, started, tempDir };
}
