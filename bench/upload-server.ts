/**
 * bench/upload's server process: lifeline's embedded server in a fresh data directory, on its own thread
 * as `lifeline serve` runs it (`startServerThread`), and in a process apart from the clients so that their
 * CPU and its CPU are not one event loop (as with a real server, it is another machine's work). Driven
 * over the IPC channel by `benchServer()` in upload-rig.ts; it exits when the channel closes, so it cannot
 * outlive the benchmark.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerThread } from '../src/server/index.js';

export type ServerRequest = { id: number; type: 'clear' | 'uploads' | 'stop' };
export type ServerReply =
  | { type: 'ready'; port: number }
  | { id: number; type: 'done'; uploads?: Array<{ sha256: string; verified: boolean }> };

const send = (message: ServerReply) => process.send?.(message);

const dataDir = mkdtempSync(join(tmpdir(), 'lifeline-bench-server-'));
const server = await startServerThread({ dataDir, port: 0, synchronous: 'normal', events: [] });

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
      for (const name of readdirSync(server.info.uploadsDirectory))
        rmSync(join(server.info.uploadsDirectory, name));
      send({ id: message.id, type: 'done' });
      break;
    case 'uploads':
      send({
        id: message.id,
        type: 'done',
        uploads: (await server.uploads()).map(({ sha256, verified }) => ({ sha256, verified })),
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
