import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteQueueStore } from '../../src/node/sqlite-queue-store.js';
import { MemoryQueueStore } from '../../src/queue/memory-store.js';
import { describeQueueStore } from './queue-store.contract.js';

describeQueueStore('MemoryQueueStore', async () => ({ store: new MemoryQueueStore() }));

describeQueueStore('SqliteQueueStore', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'lifeline-queue-')), 'queue.db');
  return { store: new SqliteQueueStore({ path }), reopen: async () => new SqliteQueueStore({ path }) };
});
