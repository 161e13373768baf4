import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

/** Runs the real command (from source, through tsx) and returns what it printed and its exit code. */
function lifeline(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], {
    encoding: 'utf8',
    cwd: ROOT,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('lifeline command', () => {
  it('prints its version', () => {
    expect(lifeline('--version')).toMatchObject({ status: 0, stdout: `lifeline ${manifest.version}\n` });
  });

  it('prints help with no arguments and with --help', () => {
    for (const args of [[], ['--help']]) {
      const result = lifeline(...args);
      expect(result.status).toBe(0);
      expect(result.stdout).toContain('Usage: lifeline <command>');
    }
  });

  it('refuses an unknown command or option with exit code 2 and a hint', () => {
    expect(lifeline('frobnicate')).toMatchObject({
      status: 2,
      stderr: expect.stringContaining("unknown command 'frobnicate'"),
    });
    expect(lifeline('--frob')).toMatchObject({
      status: 2,
      stderr: expect.stringContaining("Run 'lifeline --help'"),
    });
  });
});
