import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandEnv, loadConfig, parseConfig } from '../../src/node/config.js';

const dir = () => mkdtempSync(join(tmpdir(), 'lifeline-config-'));

describe('config', () => {
  it('uses lifeline.config.json in the current directory, else in the state directory, else defaults', () => {
    const cwd = dir();
    const home = dir();
    expect(loadConfig({ cwd, env: { LIFELINE_HOME: home } })).toEqual({ config: {}, path: undefined });
    writeFileSync(join(home, 'lifeline.config.json'), JSON.stringify({ queue: { concurrency: 2 } }));
    expect(loadConfig({ cwd, env: { LIFELINE_HOME: home } }).config).toEqual({ queue: { concurrency: 2 } });
    writeFileSync(join(cwd, 'lifeline.config.json'), JSON.stringify({ server: 'http://10.0.0.1:8080' }));
    const local = loadConfig({ cwd, env: { LIFELINE_HOME: home } });
    expect(local).toEqual({
      config: { server: 'http://10.0.0.1:8080' },
      path: join(cwd, 'lifeline.config.json'),
    });
  });

  it('names each bad field and what it expected', () => {
    expect(() =>
      parseConfig({
        queue: { concurrency: 0, synchronous: 'sometimes' },
        retry: { maxAttempts: 'three' },
        probe: { intervall: 5 },
      }),
    ).toThrow(
      [
        'config: lifeline.config.json has 4 problems:',
        '  retry.maxAttempts: expected number',
        "  probe: unknown key 'intervall' (check the spelling)",
        '  queue.concurrency: expected a value ≥ 1',
        '  queue.synchronous: expected one of "full", "normal"',
      ].join('\n'),
    );
  });

  it('reports a file that is not JSON, naming it', () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'lifeline.config.json'), '{ "queue": ');
    expect(() => loadConfig({ cwd })).toThrow(/lifeline\.config\.json is not valid JSON/);
    expect(() => loadConfig({ cwd, path: 'missing.json' })).toThrow(/missing\.json does not exist/);
  });

  it('reads secrets for headers from the environment at send time', () => {
    expect(expandEnv('Bearer ${env:TOKEN}', { TOKEN: 's3cret' })).toBe('Bearer s3cret');
    expect(() => expandEnv('Bearer ${env:TOKEN}', {})).toThrow('environment variable TOKEN is not set');
  });
});
