import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type LifelineServer } from '../../src/server/index.js';
import { lifelineAsync } from './support/cli.js';
import { tempDir } from './support/queue-fixtures.js';
import { sha256 } from './support/upload-fixtures.js';

let server: LifelineServer | undefined;
afterEach(async () => {
  await server?.stop();
});

describe('lifeline send', () => {
  it('uploads a file with --wait and exits 0; a missing file is bad usage (exit 2)', async () => {
    server = createServer({ dataDir: tempDir('lifeline-send-server-'), port: 0, synchronous: 'normal' });
    await server.start();
    const cwd = tempDir('lifeline-send-cwd-');
    writeFileSync(join(cwd, 'lifeline.config.json'), JSON.stringify({ server: server.url }));
    const env = { LIFELINE_HOME: tempDir('lifeline-send-home-') };
    const text = 'a report worth sending\n'.repeat(2000);
    writeFileSync(join(cwd, 'report.txt'), text);

    const sent = await lifelineAsync(['send', 'report.txt', '--wait', '--json'], { cwd, env });
    expect(sent.status, sent.stderr).toBe(0);
    expect(server.uploads()).toMatchObject([
      { filename: 'report.txt', sha256: sha256(Buffer.from(text)), verified: true },
    ]);

    const missing = await lifelineAsync(['send', 'nowhere.bin'], { cwd, env });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('nowhere.bin');
    expect(missing.stderr).toContain("Run 'lifeline send --help' for usage.");
  });
});
