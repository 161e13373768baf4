import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryFailureStore } from '../../src/analytics/failure-store.js';
import { SqliteFailureStore } from '../../src/node/sqlite-failure-store.js';
import { describeFailureStore } from './failure-store.contract.js';

describeFailureStore('MemoryFailureStore', () => ({ store: new MemoryFailureStore() }));

describeFailureStore('SqliteFailureStore', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'lifeline-failures-')), 'failures.db');
  return { store: new SqliteFailureStore({ path }), reopen: () => new SqliteFailureStore({ path }) };
});
