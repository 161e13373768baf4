/**
 * Worker-thread entry of bench/queue: the embedded server on its own thread (and so, on a 2-core machine,
 * mostly on its own core), so the drain figures are about the client side rather than about the client
 * and the server sharing one event loop. `synchronous: 'normal'`: no fsync per commit on the server side.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createServer } from '../src/server/index.js';

const port = parentPort;
if (!port) throw new Error('bench/queue-server runs as a worker thread');
const server = createServer({
  dataDir: (workerData as { dataDir: string }).dataDir,
  port: 0,
  synchronous: 'normal',
});
await server.start();
port.on('message', async (message: 'count' | 'stop') => {
  if (message === 'count') {
    port.postMessage({ count: server.operationCount, duplicates: duplicates() });
    return;
  }
  await server.stop();
  port.postMessage({ stopped: true });
  port.close();
});
port.postMessage({ url: server.url });

/** Keys applied more than once: there must be none. */
function duplicates(): number {
  let count = 0;
  for (const applied of server.appliedCountByKey().values()) if (applied > 1) count++;
  return count;
}
