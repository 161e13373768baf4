import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * lifeline's state directory: `LIFELINE_HOME`, or `~/.lifeline`. It holds the queue, the failure log and
 * upload state; it is created readable by its owner only (0700), and files in it 0600, because queued
 * requests can carry personal data.
 */
export function stateDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.LIFELINE_HOME;
  return home ? resolve(home) : join(homedir(), '.lifeline');
}

/** Creates `dir` (0700) if needed and returns it. An existing directory keeps its permissions. */
export function ensureDirectory(dir: string): string {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory())
      throw new Error(`${dir} is not a directory: give a directory (a missing one is created)`);
    return dir;
  }
  try {
    makeDirectories(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOTDIR'
        ? 'a file stands where one of its parent directories should be'
        : code === 'EACCES' || code === 'EPERM'
          ? 'this user may not create it there'
          : code === 'ENOENT'
            ? 'its file system does not let directories be made there'
            : (error as Error).message;
    throw new Error(`cannot create the directory ${dir}: ${why}`, { cause: error });
  }
  chmodSync(dir, 0o700); // mkdir's mode is filtered by the umask
  return dir;
}

/**
 * `mkdir -p`, one level at a time from the first ancestor that exists. Node's recursive mkdir retries a
 * level that fails with ENOENT after making its parent, and on a file system that refuses new
 * directories with ENOENT (/proc) it never stops.
 */
function makeDirectories(dir: string): void {
  const missing: string[] = [];
  for (let at = dir; !existsSync(at) && dirname(at) !== at; at = dirname(at)) missing.unshift(at);
  for (const level of missing) mkdirSync(level, { mode: 0o700 });
}

/** Creates an empty file with mode 0600 if it does not exist, so SQLite (and its WAL files) inherit it. */
export function ensurePrivateFile(path: string): void {
  ensureDirectory(dirname(path));
  if (existsSync(path)) return;
  try {
    closeSync(openSync(path, 'a', 0o600));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') throw error;
    throw new Error(
      `cannot write ${path} (${code}: ${code === 'EROFS' ? 'a read-only file system' : 'this user may not write there'}): ` +
        'set LIFELINE_HOME to a directory this user can write',
      { cause: error },
    );
  }
  chmodSync(path, 0o600);
}
