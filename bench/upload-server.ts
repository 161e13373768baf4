/**
 * bench/upload's server process: lifeline's embedded server in a fresh data directory, on its own thread
 * as `lifeline serve` runs it (`startServerThread`), and in a process apart from the clients so that their
 * CPU and its CPU are not one event loop (as with a real server, it is another machine's work). Driven
 * over the IPC channel by `benchServer()` in upload-rig.ts; it exits when the channel closes, so it cannot
 * outlive the benchmark.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore } from '@tus/file-store';
import { Server as TusServer } from '@tus/server';
import { sha256File } from '../src/node/sha256-file.js';
import { startServerThread } from '../src/server/index.js';

export type ServerRequest = { id: number; type: 'clear' | 'uploads' | 'stop' };
export type ServerReply =
  | { type: 'ready'; port: number }
  | { id: number; type: 'done'; uploads?: Array<{ sha256: string; verified: boolean }> };

const send = (message: ServerReply) => process.send?.(message);

const dataDir = mkdtempSync(join(tmpdir(), 'lifeline-bench-server-'));
const server = process.argv[2] === 'stock' ? await stockServer(dataDir) : await lifelineServer(dataDir);

let stopping: Promise<void> | undefined;
const stop = () => {
  stopping ??= server
    .stop()
    .catch(() => {})
    .then(() => rmSync(dataDir, { recursive: true, force: true }));
  return stopping;
};

process.on('disconnect', () => {
  void stop().then(() => process.exit(0));
});
process.on('message', async (message: ServerRequest) => {
  switch (message.type) {
    case 'clear':
      // Finished uploads stay in the server's record; only their bytes go, so 100 MB runs do not pile up.
      await server.beforeClear?.();
      for (const name of readdirSync(server.uploadsDirectory)) rmSync(join(server.uploadsDirectory, name));
      send({ id: message.id, type: 'done' });
      break;
    case 'uploads':
      send({
        id: message.id,
        type: 'done',
        uploads: await server.uploads(),
      });
      break;
    case 'stop':
      await stop();
      send({ id: message.id, type: 'done' });
      process.disconnect();
      break;
  }
});
send({ type: 'ready', port: server.port });

interface BenchServer {
  port: number;
  uploadsDirectory: string;
  uploads(): Promise<Array<{ sha256: string; verified: boolean }>>;
  /** Before received files are deleted. */
  beforeClear?(): Promise<void>;
  stop(): Promise<void>;
}

async function lifelineServer(dataDir: string): Promise<BenchServer> {
  const server = await startServerThread({ dataDir, port: 0, synchronous: 'normal', events: [] });
  return {
    port: server.port,
    uploadsDirectory: server.info.uploadsDirectory,
    uploads: async () => (await server.uploads()).map(({ sha256, verified }) => ({ sha256, verified })),
    stop: async () => {
      await server.stop();
    },
  };
}

/**
 * @tus/server with @tus/file-store as its README sets it up, on Node's http server: none of lifeline's
 * server (no kept bodies, no hash check, no record), to compare the clients on the server most tus users
 * run. It checks nothing itself, so each file is hashed here before it is cleared (not `verified`: the
 * bench compares the hash with the file's).
 */
async function stockServer(dataDir: string): Promise<BenchServer> {
  const tus = new TusServer({ path: '/files', datastore: new FileStore({ directory: dataDir }) });
  const received: Array<{ sha256: string; verified: boolean }> = [];
  const http = createServer((req, res) => void tus.handle(req, res));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    uploadsDirectory: dataDir,
    uploads: async () => received,
    beforeClear: async () => {
      for (const name of readdirSync(dataDir).filter((name) => !name.endsWith('.json')))
        received.push({ sha256: (await sha256File(join(dataDir, name))).sha256, verified: false });
    },
    stop: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}
