import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { queueUpload } from '../../src/cli/upload-queueing.js';
import { openRuntime, type Runtime } from '../../src/node/runtime.js';
import { tempDir } from './support/queue-fixtures.js';
import { startedServers } from './support/servers.js';
import { lifelineWorkspace } from './support/workspace.js';

const servers = startedServers('lifeline-runtime-');
let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.close();
});

describe('the runtime shares one view of the link', () => {
  it('counts each request once in link quality, whether it came from the queue or not', async () => {
    const server = await servers.started({ synchronous: 'normal' });
    runtime = await openRuntime(lifelineWorkspace(server.url));
    await runtime.queue.enqueueMany([
      { kind: 'http', payload: { method: 'POST', url: `${server.url}/ops/note`, body: 'one' } },
      { kind: 'http', payload: { method: 'POST', url: `${server.url}/ops/note`, body: 'two' } },
    ]);
    await runtime.queue.sync();
    expect(server.operationCount).toBe(2);
    // Two requests, two samples: the fetch reports each attempt, and the queue does not report them again.
    expect(runtime.quality.snapshot().sampleCount).toBe(2);

    // An upload: each tus request (OPTIONS, POST, PATCH) is one sample more, and the queue adds none.
    const file = join(tempDir('lifeline-runtime-files-'), 'note.txt');
    writeFileSync(file, 'a small file\n');
    await queueUpload(runtime, file, { endpoint: runtime.uploadEndpoint, priority: 0 });
    await runtime.queue.sync();
    expect(server.uploads()).toHaveLength(1);
    expect(runtime.quality.snapshot().sampleCount).toBe(5);
  });
});
