import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lifelineAsync } from './support/cli.js';
import { startedServers } from './support/servers.js';
import { sha256 } from './support/upload-fixtures.js';
import { lifelineWorkspace } from './support/workspace.js';

const servers = startedServers('lifeline-send-');

describe('lifeline send', () => {
  it('uploads a file with --wait and exits 0; a missing file is bad usage (exit 2)', async () => {
    const server = await servers.started({ synchronous: 'normal' });
    const { cwd, env } = lifelineWorkspace(server.url);
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
