import { openRuntime, type Runtime, type RuntimeOptions } from '../node/runtime.js';
import type { Output } from './output.js';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A subcommand of `lifeline`. */
export interface Command {
  name: string;
  summary: string;
  /** Full help, shown by `lifeline <name> --help`. */
  help: string;
  run(args: string[], output: Output): Promise<number>;
}

/** A usage mistake: printed with a hint, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** "127.0.0.1:8080" → { host, port }; "8080" → 127.0.0.1; "[::1]:8080" → ::1. */
export function parseHostPort(text: string, option: string): { host: string; port: number } {
  const trimmed = text.trim();
  const match = /^\d+$/.test(trimmed)
    ? ['', '', '127.0.0.1', trimmed]
    : /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(trimmed);
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || !(port >= 0 && port <= 65_535)) {
    throw new UsageError(`${option}: cannot read '${text}'; use host:port, like 127.0.0.1:8080, or a port`);
  }
  return { host: match[1] || match[2] || '127.0.0.1', port };
}

/** --priority: an integer, higher runs first; 0 when not given. */
export function parsePriority(text: string | undefined): number {
  const priority = Number(text ?? '0');
  if (text?.trim() === '' || !Number.isSafeInteger(priority))
    throw new UsageError(`--priority: use an integer, not '${text}'`);
  return priority;
}

/** A count flag (`--limit N`): a whole number of at least `min`. */
export function parseCount(flag: string, text: string, min = 1): number {
  const count = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(count) || count < min)
    throw new UsageError(`${flag}: use a whole number of at least ${min}, not '${text}'`);
  return count;
}

/** Flags every command that reads the config and reports takes: spread into `parseArgs` options. */
export const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  config: { type: 'string' },
} as const;

/** Opens the runtime for one piece of work and closes it after, whatever happens. */
export async function withRuntime(
  configPath: string | undefined,
  work: (runtime: Runtime) => Promise<number>,
  options: Omit<RuntimeOptions, 'configPath'> = {},
): Promise<number> {
  const runtime = await openRuntime({ ...options, configPath });
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}

/**
 * Takes `--config <path>` (or `--config=<path>`) out of a subcommand's arguments: the runtime is opened
 * before the subcommand reads the rest. After `--` nothing is an option: the rest stays as it is (a URL or
 * a body that happens to read `--config`).
 */
export function takeConfigOption(args: readonly string[]): {
  configPath: string | undefined;
  rest: string[];
} {
  const rest: string[] = [];
  let configPath: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      rest.push(...args.slice(i));
      break;
    }
    if (arg === '--config') {
      configPath = args[++i];
      if (configPath === undefined)
        throw new UsageError('--config needs a path, e.g. --config ./lifeline.config.json');
    } else if (arg.startsWith('--config=')) configPath = arg.slice('--config='.length);
    else rest.push(arg);
  }
  return { configPath, rest };
}
