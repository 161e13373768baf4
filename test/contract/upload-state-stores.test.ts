import { join } from 'node:path';
import { SqliteUploadStateStore } from '../../src/node/sqlite-upload-state-store.js';
import { MemoryUploadStateStore } from '../../src/transfer/upload-state-store.js';
import { tempDir } from '../integration/support/queue-fixtures.js';
import { describeUploadStateStore } from './upload-state-store.contract.js';

describeUploadStateStore('MemoryUploadStateStore', () => ({ store: new MemoryUploadStateStore() }));

describeUploadStateStore('SqliteUploadStateStore', () => {
  const path = join(tempDir('lifeline-uploads-'), 'uploads.db');
  return { store: new SqliteUploadStateStore({ path }), reopen: () => new SqliteUploadStateStore({ path }) };
});
