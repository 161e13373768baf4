import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRuntime, type Runtime } from '../../node/runtime.js';
import { createServer, type LifelineServer } from '../../server/index.js';
import { ChaosProxy } from '../../testing/chaos-proxy.js';

/** The real components of the demo, wired as a user would: server ← chaos proxy ← agent (queue + uploads). */
export interface DemoRig {
  server: LifelineServer;
  proxy: ChaosProxy;
  runtime: Runtime;
  /** The demo's files, to upload. */
  files: string[];
  fileBytes: number;
  /** The breaker that guards the proxy's host. */
  breakerName: string;
  directory: string;
  close(): Promise<void>;
}

export async function startRig(options: {
  fileCount: number;
  fileBytes: number;
  seed: number;
}): Promise<DemoRig> {
  const directory = mkdtempSync(join(tmpdir(), 'lifeline-demo-'));
  const server = createServer({ dataDir: join(directory, 'server'), port: 0, synchronous: 'normal' });
  await server.start();
  const proxy = await new ChaosProxy({ upstream: { port: server.port }, seed: options.seed }).start();
  const home = join(directory, 'home');
  const host = `127.0.0.1:${proxy.port}`;
  writeFileSync(
    join(directory, 'lifeline.config.json'),
    JSON.stringify({
      server: proxy.url,
      probe: { intervalMs: 500, timeoutMs: 1000 },
      retry: { maxAttempts: 2, initialDelayMs: 100, maxDelayMs: 500, timeoutMs: 5000 },
      queue: {
        concurrency: 4,
        maxAttempts: 50,
        initialDelayMs: 250,
        maxDelayMs: 2000,
        synchronous: 'normal',
      },
      circuits: { [host]: { consecutiveFailures: 4, resetTimeoutMs: 1500 } },
      transfer: { chunkSizeBytes: 1024 * 1024, stallTimeoutMs: 3000 },
    }),
  );
  const runtime = await openRuntime({ cwd: directory, env: { ...process.env, LIFELINE_HOME: home } });
  const files: string[] = [];
  for (let i = 1; i <= options.fileCount; i++) {
    const path = join(directory, `survey-${i}.bin`);
    writeFileSync(path, randomBytes(options.fileBytes));
    files.push(path);
  }
  return {
    server,
    proxy,
    runtime,
    files,
    fileBytes: options.fileBytes,
    breakerName: `http ${host}`,
    directory,
    async close() {
      await runtime.close();
      await proxy.stop();
      await server.stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
