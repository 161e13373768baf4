import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './queue-fixtures.js';

/**
 * Where a lifeline command or runtime runs in a test: a working directory whose lifeline.config.json
 * points at `serverUrl` (queue at synchronous 'normal' unless `config` says otherwise, plus `config`), and
 * a fresh LIFELINE_HOME. Pass `{ cwd, env }` to `lifelineAsync` or `openRuntime`.
 */
export function lifelineWorkspace(
  serverUrl: string,
  config: Record<string, unknown> = {},
): { cwd: string; env: { LIFELINE_HOME: string } } {
  const cwd = tempDir('lifeline-cwd-');
  const settings = { server: serverUrl, queue: { synchronous: 'normal' }, ...config };
  writeFileSync(join(cwd, 'lifeline.config.json'), JSON.stringify(settings));
  return { cwd, env: { LIFELINE_HOME: tempDir('lifeline-home-') } };
}
