import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { queueUpload } from '../../src/cli/upload-queueing.js';
import { openRuntime, type Runtime } from '../../src/node/runtime.js';
import { tempDir } from './support/queue-fixtures.js';
import { startedServers } from './support/servers.js';
import { sleep, until } from './support/tcp.js';
import { lifelineWorkspace } from './support/workspace.js';

const servers = startedServers('lifeline-pause-');
let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

describe('queue pause holds an upload already on the wire', () => {
  it('stops sending at once, and goes on from the server offset on resume', async () => {
    const server = await servers.started({ synchronous: 'normal' });
    runtime = await openRuntime(lifelineWorkspace(server.url));
    const file = join(tempDir('lifeline-pause-files-'), 'long.bin');
    writeFileSync(file, Buffer.alloc(1_500_000, 7));
    await queueUpload(runtime, file, {
      endpoint: runtime.uploadEndpoint,
      priority: 0,
      bytesPerSecond: 300_000,
    });
    let sentUpTo = 0;
    runtime.uploads.on('started', ({ upload }) =>
      upload.on('progress', ({ sentUpToBytes }) => {
        sentUpTo = sentUpToBytes;
      }),
    );
    runtime.connectivity.start();
    runtime.queue.start();
    await until(() => sentUpTo > 300_000, 10_000, 'a fifth of the file on its way');

    await runtime.queue.pause();
    await sleep(300); // the slice on its way when the pause came
    const heldAt = sentUpTo;
    await sleep(1500); // at 300 KB/s, 450 KB more would have gone
    expect(sentUpTo).toBe(heldAt);
    expect(server.uploads()).toEqual([]);

    await runtime.queue.resume();
    await until(() => server.uploads().length === 1, 15_000, 'the upload to finish after resume');
    expect(server.uploads()[0]).toMatchObject({ verified: true });
  }, 30_000);
});
