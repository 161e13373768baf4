import { chmodSync, existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureDirectory, ensurePrivateFile } from '../../../src/node/state-dir.js';

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

describe('ensureDirectory where nothing may be made', () => {
  // procfs answers ENOENT to mkdir: Node's recursive mkdir retried that for ever.
  it.skipIf(!existsSync('/proc/self'))('says so, and does not hang', () => {
    expect(() => ensureDirectory('/proc/lifeline-test/home')).toThrow(
      'cannot create the directory /proc/lifeline-test/home: its file system does not let directories be made there',
    );
  });
});

describe('ensurePrivateFile', () => {
  // sysfs refuses new files even to root, who may write anywhere else (tests here may run as root).
  it.skipIf(!existsSync('/sys/kernel'))(
    'in a directory this user may not write: says so, and what to do instead',
    () => {
      expect(() => ensurePrivateFile('/sys/kernel/queue.db')).toThrow(
        'cannot write /sys/kernel/queue.db (EACCES: this user may not write there): set LIFELINE_HOME to a directory this user can write',
      );
    },
  );
});
