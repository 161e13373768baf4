/**
 * The server thread's entry (see server-thread.ts): runs one `LifelineServer` with the options it was
 * given, passes the chosen events to the thread that started it, and answers its requests.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createServer, type LifelineServer } from './server.js';
import type {
  FromServerThread,
  SerializedError,
  ServerThreadInfo,
  ServerThreadOptions,
  ToServerThread,
} from './server-thread.js';

const { options, events } = workerData as {
  options: Omit<ServerThreadOptions, 'events'>;
  events: NonNullable<ServerThreadOptions['events']>;
};
if (!parentPort) throw new Error('server-thread-worker runs as a worker thread: use startServerThread()');
const port = parentPort;
const send = (message: FromServerThread) => port.postMessage(message);

function serialize(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const { code } = error as { code?: unknown };
  const cause = error.cause instanceof Error ? { causeMessage: error.cause.message } : {};
  return {
    name: error.name,
    message: error.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...cause,
  };
}

async function main(): Promise<void> {
  let server: LifelineServer;
  try {
    server = createServer(options);
    await server.start();
  } catch (error) {
    send({ type: 'failed', error: serialize(error) });
    port.close();
    return;
  }
  relay(server);
  port.on('message', async (message: ToServerThread) => {
    if (message.type === 'uploads') {
      send({ type: 'uploads', id: message.id, uploads: server.uploads() });
      return;
    }
    const operations = server.operationCount;
    try {
      await server.stop();
      send({ type: 'stopped', operations, uploads: server.uploads().length });
    } catch (error) {
      send({ type: 'failed', error: serialize(error) });
    }
    port.close();
  });
  send({ type: 'ready', info: describe(server) });
}

function relay(server: LifelineServer): void {
  for (const name of events) {
    server.on(name, (event) => {
      // An Error keeps neither its class nor its fields across threads: pass what a report needs.
      const payload =
        name === 'error'
          ? {
              ...(event as { method: string; path: string }),
              error: serialize((event as { error: unknown }).error),
            }
          : event;
      send({ type: 'event', name, event: payload });
    });
  }
}

function describe(server: LifelineServer): ServerThreadInfo {
  return {
    url: server.url,
    host: server.host,
    port: server.port,
    dataDir: server.dataDir,
    databasePath: server.databasePath,
    uploadsDirectory: server.uploadsDirectory,
    synchronous: server.synchronous,
    maxBodyBytes: server.maxBodyBytes,
    maxUploadBytes: server.maxUploadBytes,
    uploadExpirationMs: server.uploadExpirationMs,
  };
}

await main();
