import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteQueueStore } from '../../src/node/sqlite-queue-store.js';
import { MemoryQueueStore } from '../../src/queue/memory-store.js';
import { describeQueueStore } from './queue-store.contract.js';

describeQueueStore('MemoryQueueStore', async () => ({ store: new MemoryQueueStore() }));

const openSqlite = async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'lifeline-queue-')), 'queue.db');
  return { store: new SqliteQueueStore({ path }), reopen: async () => new SqliteQueueStore({ path }) };
};
describeQueueStore('SqliteQueueStore', openSqlite);
// Single items with generated keys go through the store's inbox (src/node/queue-inbox.ts).
describeQueueStore('SqliteQueueStore', openSqlite, { generatedKeys: true });
