#!/usr/bin/env node
/**
 * The `lifeline` command. This is the entry point only: commands render what the library does and own no
 * logic. Exit codes: 0 success, 1 the work failed, 2 bad usage.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

const HELP = `lifeline — keeps applications working over unreliable networks

Usage: lifeline <command> [options]

Commands arrive with the next releases: queue, health, failures, probe, send, watch, serve, chaos, demo.

Options:
  -h, --help       show this help
  -v, --version    print the version

Exit codes: 0 success, 1 the work failed, 2 bad usage.
`;

export function main(argv: string[]): number {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    process.stderr.write(`lifeline: ${(error as Error).message}\nRun 'lifeline --help' for usage.\n`);
    return EXIT.usage;
  }
  if (parsed.values.version) {
    process.stdout.write(`lifeline ${version()}\n`);
    return EXIT.ok;
  }
  const [command] = parsed.positionals;
  if (parsed.values.help || command === undefined || command === 'help') {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  process.stderr.write(
    `lifeline: unknown command '${command}'\nRun 'lifeline --help' for the commands there are.\n`,
  );
  return EXIT.usage;
}

process.exitCode = main(process.argv.slice(2));
