import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const ROOT = join(import.meta.dirname, '../../..');
/** tsx by absolute path, so the command runs from any working directory. */
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const ENTRY = ['--import', TSX, join(ROOT, 'src/cli/main.ts')];

/** Runs the real `lifeline` command (from source) to completion. */
export function lifeline(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
  const result = spawnSync(process.execPath, [...ENTRY, ...args], {
    encoding: 'utf8',
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface RunningCommand {
  child: ChildProcess;
  /** Lines printed so far on stdout. */
  lines: string[];
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stderr(): string;
}

/** Starts a long-running `lifeline` command (serve, chaos, agent) and collects its output. */
export function startLifeline(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): RunningCommand {
  const child = spawn(process.execPath, [...ENTRY, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
  });
  const lines: string[] = [];
  let pending = '';
  let errors = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (text: string) => {
    pending += text;
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    errors += text;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, exited, stderr: () => errors };
}

/**
 * Runs the real `lifeline` command to completion without blocking this process — needed whenever the
 * server or proxy it talks to lives in the test process (spawnSync would freeze them).
 */
export async function lifelineAsync(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const running = startLifeline(args, options);
  // 'close' comes after the output streams end: no line printed at exit is missed.
  const closed = new Promise((resolve) => running.child.on('close', resolve));
  const status = await running.exited;
  await closed;
  return { status, stdout: running.lines.map((line) => `${line}\n`).join(''), stderr: running.stderr() };
}
