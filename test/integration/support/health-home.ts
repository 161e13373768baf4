import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh LIFELINE_HOME for `lifeline health` whose config points `server` at `serverUrl`. */
export function healthHome(serverUrl: string): { dir: string; env: NodeJS.ProcessEnv; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-health-'));
  const config = join(dir, 'lifeline.config.json');
  writeFileSync(config, JSON.stringify({ server: serverUrl, probe: { timeoutMs: 2000 } }));
  return { dir, env: { LIFELINE_HOME: dir }, config };
}
