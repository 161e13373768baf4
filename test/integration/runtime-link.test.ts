import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openRuntime, type Runtime } from '../../src/node/runtime.js';
import { createServer, type LifelineServer } from '../../src/server/index.js';
import { tempDir } from './support/queue-fixtures.js';

let server: LifelineServer | undefined;
let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.close();
  await server?.stop();
});

describe('the runtime shares one view of the link', () => {
  it('counts each request once in link quality, whether it came from the queue or not', async () => {
    server = createServer({ dataDir: tempDir('lifeline-runtime-server-'), port: 0, synchronous: 'normal' });
    await server.start();
    const cwd = tempDir('lifeline-runtime-cwd-');
    writeFileSync(join(cwd, 'lifeline.config.json'), JSON.stringify({ server: server.url }));
    runtime = await openRuntime({ cwd, env: { LIFELINE_HOME: tempDir('lifeline-runtime-home-') } });
    await runtime.queue.enqueueMany([
      { kind: 'http', payload: { method: 'POST', url: `${server.url}/ops/note`, body: 'one' } },
      { kind: 'http', payload: { method: 'POST', url: `${server.url}/ops/note`, body: 'two' } },
    ]);
    await runtime.queue.sync();
    expect(server.operationCount).toBe(2);
    // Two requests, two samples: the fetch reports each attempt, and the queue does not report them again.
    expect(runtime.quality.snapshot().sampleCount).toBe(2);
  });
});
