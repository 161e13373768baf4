/**
 * An upload in its own process, for the crash test: uploads argv[2] to the tus endpoint argv[3],
 * remembering its URL in the SQLite state store argv[4], at 8 MiB/s; prints its events as JSON lines.
 */
import { FileSource } from '../../../src/node/file-source.js';
import { SqliteUploadStateStore } from '../../../src/node/sqlite-upload-state-store.js';
import { undiciTusTransport } from '../../../src/node/undici-tus-transport.js';
import { ResumableUpload } from '../../../src/transfer/resumable-upload.js';

const [path, endpoint, statePath] = process.argv.slice(2);
if (!path || !endpoint || !statePath) throw new Error('usage: uploader.ts <file> <endpoint> <state.db>');
const say = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
const stateStore = new SqliteUploadStateStore({ path: statePath });
const tus = undiciTusTransport();
const upload = new ResumableUpload({
  source: await FileSource.open(path),
  endpoint,
  stateStore,
  transport: tus.transport,
  chunkSizeBytes: 1024 * 1024,
  bytesPerSecond: 8 * 1024 * 1024,
});
upload.on('created', ({ url }) => say({ event: 'created', url }));
upload.on('resumed', ({ url, offset, reason }) => say({ event: 'resumed', url, offset, reason }));
upload.on('chunkAcknowledged', ({ offset }) => say({ event: 'ack', offset }));
say({ event: 'ready' });
const result = await upload.start();
say({ event: 'completed', url: result.url, resumedFromOffset: result.resumedFromOffset });
await tus.close();
await stateStore.close();
