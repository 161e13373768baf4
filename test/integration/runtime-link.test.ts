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
    await runtime.queue.enqueueMany([
      { kind: 'http', payload: { method: 'POST', url: 'http://127.0.0.1:8819/x' } },
    ]);
    expect(runtime.quality.snapshot().sampleCount).toBe(5);
  });

  it('finds the link up through a server queued work goes to, while the configured server is down', async () => {
    const server = await servers.started({ synchronous: 'normal' });
    runtime = await openRuntime(lifelineWorkspace('http://127.0.0.1:9')); // nothing listens there
    expect(await runtime.connectivity.check()).toBe('offline');

    // `lifeline send --to` another host: its upload must not wait on the configured server.
    const file = join(tempDir('lifeline-runtime-files-'), 'elsewhere.txt');
    writeFileSync(file, 'bound for another server\n');
    await queueUpload(runtime, file, { endpoint: `${server.url}/files/`, priority: 0 });
    expect(await runtime.connectivity.check()).toBe('online');
    const host = new URL(server.url).host;
    expect(runtime.connectivity.snapshot().reason).toMatch(
      new RegExp(`^probe succeeded in .* — ${host} answered, where queued work goes$`),
    );

    // Once that work is done, the configured server alone judges the link again.
    await runtime.queue.sync();
    expect(server.uploads()).toHaveLength(1);
    await runtime.queue.enqueueMany([
      { kind: 'http', payload: { method: 'POST', url: 'http://127.0.0.1:8819/x' } },
    ]);
    expect(await runtime.connectivity.check()).toBe('online'); // one failed probe after online is not enough
    expect(await runtime.connectivity.check()).toBe('offline');
    // Neither answers: the reason names both.
    expect(runtime.connectivity.snapshot().reason).toMatch(
      /^2 probes failed in a row, last: network error: bad port \(fetch refuses this port; use another\) — 127\.0\.0\.1:8819, where queued work goes, did not answer either$/,
    );
  });

  it('judges the link by a configured probe.url alone, wherever queued work goes', async () => {
    const server = await servers.started({ synchronous: 'normal' });
    runtime = await openRuntime(
      lifelineWorkspace('http://127.0.0.1:9', { probe: { url: 'http://127.0.0.1:9/health' } }),
    );
    const file = join(tempDir('lifeline-runtime-files-'), 'elsewhere.txt');
    writeFileSync(file, 'bound for another server\n');
    await queueUpload(runtime, file, { endpoint: `${server.url}/files/`, priority: 0 });
    expect(await runtime.connectivity.check()).toBe('offline');
  });
});
