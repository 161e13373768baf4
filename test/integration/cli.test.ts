import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lifeline, ROOT } from './support/cli.js';

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

describe('lifeline command', () => {
  it('prints its version', () => {
    expect(lifeline(['--version'])).toMatchObject({ status: 0, stdout: `lifeline ${manifest.version}\n` });
  });

  it('prints help listing its commands, with no arguments and with --help', () => {
    for (const args of [[], ['--help']]) {
      const result = lifeline(args);
      expect(result.status).toBe(0);
      expect(result.stdout).toContain('Usage: lifeline <command>');
      expect(result.stdout).toMatch(/chaos\s+run a fault-injecting TCP proxy/);
    }
  });

  it('prints a command’s own help', () => {
    const result = lifeline(['chaos', '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: lifeline chaos --upstream <host:port>');
  });

  it('refuses an unknown command or option with exit code 2 and a hint', () => {
    expect(lifeline(['frobnicate'])).toMatchObject({
      status: 2,
      stderr: expect.stringContaining("unknown command 'frobnicate'"),
    });
    expect(lifeline(['--frob'])).toMatchObject({
      status: 2,
      stderr: expect.stringContaining("Run 'lifeline --help'"),
    });
  });
});
