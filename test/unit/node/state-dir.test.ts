import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureDirectory } from '../../../src/node/state-dir.js';

describe('ensureDirectory', () => {
  const root = () => mkdtempSync(join(tmpdir(), 'lifeline-dir-'));

  it('creates a missing directory, parents included, readable by its owner only', () => {
    const dir = join(root(), 'a', 'b');
    expect(ensureDirectory(dir)).toBe(dir);
    expect(statSync(dir).isDirectory()).toBe(true);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('leaves an existing directory as it is', () => {
    const dir = root();
    chmodSync(dir, 0o755);
    expect(ensureDirectory(dir)).toBe(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o755);
  });

  it('refuses a file in the place of the directory, saying so', () => {
    const file = join(root(), 'data');
    writeFileSync(file, 'x');
    expect(() => ensureDirectory(file)).toThrow(`${file} is not a directory`);
    expect(() => ensureDirectory(join(file, 'sub'))).toThrow(
      `cannot create the directory ${join(file, 'sub')}: a file stands where one of its parent directories should be`,
    );
  });
});
