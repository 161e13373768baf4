/**
 * A queue worker in its own process, for the crash test: drains the queue at argv[2] and exits when
 * nothing is pending or running. The test kills it with SIGKILL at random moments.
 */
import { httpQueue } from '../../integration/support/queue-fixtures.js';

const path = process.argv[2];
if (!path) throw new Error('usage: drainer.ts <queue.db>');
const { queue, close } = httpQueue({ path, maxConcurrency: 4, pollIntervalMs: 50 });
let completed = 0;
queue.on('completed', () => completed++);
queue.start();
process.stdout.write('ready\n');
const timer = setInterval(async () => {
  const status = await queue.status();
  if (status.pending > 0 || status.running > 0) return;
  clearInterval(timer);
  await close();
  process.stdout.write(`drained ${completed}\n`);
}, 50);
