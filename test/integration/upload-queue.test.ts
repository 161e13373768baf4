import { unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFetch } from '../../src/http/resilient-fetch.js';
import { createDurableQueue } from '../../src/node/durable-queue.js';
import { SqliteUploadStateStore } from '../../src/node/sqlite-upload-state-store.js';
import { uploadHandler, uploadOperation } from '../../src/node/upload-operation.js';
import { constantBackoff } from '../../src/policy/backoff.js';
import { PolicyRegistry } from '../../src/policy/registry.js';
import { httpHandler, httpOperation } from '../../src/queue/http-operation.js';
import { tempDir } from './support/queue-fixtures.js';
import { untilAsync } from './support/tcp.js';
import { MiB, randomFile, sha256, uploadRig } from './support/upload-fixtures.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

describe('uploads in the queue', () => {
  it('a file deleted or changed while queued: a clear dead letter, or a clean upload of the new content — and the rest goes on', async () => {
    const rig = await uploadRig();
    cleanup.push(() => rig.close());
    const dir = tempDir('lifeline-upq-');
    const stateStore = new SqliteUploadStateStore({ path: join(dir, 'uploads.db') });
    const queue = createDurableQueue({
      path: join(dir, 'queue.db'),
      synchronous: 'normal',
      backoff: constantBackoff(50),
      pollIntervalMs: 50,
    });
    cleanup.push(async () => {
      await queue.close();
      await stateStore.close();
    });
    queue.handle('upload', uploadHandler({ stateStore, transport: rig.transport }).handler);
    queue.handle(
      'http',
      httpHandler({
        fetch: createFetch({ registry: new PolicyRegistry(), maxAttempts: 1, circuitBreaker: false }),
      }),
    );

    const kept = randomFile(MiB, 'kept.bin');
    const deleted = randomFile(MiB, 'deleted.bin');
    const changed = randomFile(MiB, 'changed.bin');
    const [keptItem, deletedItem, changedItem, noteItem] = await queue.enqueueMany([
      { kind: 'upload', payload: uploadOperation(kept.path, rig.endpoint) },
      { kind: 'upload', payload: uploadOperation(deleted.path, rig.endpoint) },
      { kind: 'upload', payload: uploadOperation(changed.path, rig.endpoint) },
      {
        kind: 'http',
        payload: httpOperation({ method: 'POST', url: `${rig.server.url}/ops/note`, body: '{}' }),
      },
    ]);
    unlinkSync(deleted.path);
    const newContent = Buffer.from('the new content of the file, written after it was queued');
    writeFileSync(changed.path, newContent);

    queue.start();
    await untilAsync(
      async () => {
        const status = await queue.status();
        return status.pending === 0 && status.running === 0;
      },
      30_000,
      'the queue to settle',
    );

    expect((await queue.get(keptItem?.id ?? -1))?.status).toBe('completed');
    expect((await queue.get(noteItem?.id ?? -1))?.status).toBe('completed');
    expect((await queue.get(changedItem?.id ?? -1))?.status).toBe('completed');
    const dead = await queue.get(deletedItem?.id ?? -1);
    expect(dead?.status).toBe('dead');
    expect(dead?.deadReason).toMatch(/deleted\.bin does not exist, so it cannot be uploaded/);
    const received = rig.server
      .uploads()
      .map((upload) => upload.sha256)
      .sort();
    expect(received).toEqual([sha256(kept.bytes), sha256(newContent)].sort());
  });
});
