#!/usr/bin/env node
/**
 * The `lifeline` command: dispatches to a subcommand. Commands render what the library does and own no
 * logic. Exit codes: 0 success, 1 the work failed, 2 bad usage.
 */
import { readFileSync } from 'node:fs';
import { LifelineError } from '../core/errors.js';
import { type Command, EXIT, UsageError } from './command.js';
import { agentCommand } from './commands/agent.js';
import { chaosCommand } from './commands/chaos.js';
import { demoCommand } from './commands/demo.js';
import { healthCommand } from './commands/health.js';
import { probeCommand } from './commands/probe.js';
import { queueCommand } from './commands/queue.js';
import { sendCommand } from './commands/send.js';
import { serveCommand } from './commands/serve.js';
import { uploadsCommand } from './commands/uploads.js';
import { watchCommand } from './commands/watch.js';
import { createOutput, type Output } from './output.js';

const COMMANDS: Command[] = [
  agentCommand,
  queueCommand,
  sendCommand,
  watchCommand,
  uploadsCommand,
  healthCommand,
  probeCommand,
  serveCommand,
  chaosCommand,
  demoCommand,
];

function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

function help(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  const commands = COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join(
    '\n',
  );
  return `lifeline — keeps applications working over unreliable networks

Usage: lifeline <command> [options]

Commands:
${commands}

Options:
  -h, --help       show help (also: lifeline <command> --help)
  -v, --version    print the version

Exit codes: 0 success, 1 the work failed, 2 bad usage.`;
}

/**
 * `--priority -5` as `--priority=-5`: node's parseArgs takes `-5` for an option and refuses the pair as
 * ambiguous. No option of ours is a short flag named by a digit, so a digit after the dash is a value.
 */
function joinNegativeValues(args: readonly string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') return [...joined, ...args.slice(i)];
    const next = args[i + 1];
    if (arg.startsWith('--') && !arg.includes('=') && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else joined.push(arg);
  }
  return joined;
}

export async function main(argv: string[], output: Output = createOutput()): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-v') {
    output.line(`lifeline ${version()}`);
    return EXIT.ok;
  }
  if (first === '--help' || first === '-h') {
    output.line(help());
    return EXIT.ok;
  }
  // No command: the help says what there is, and the exit code that nothing was done.
  if (first === undefined) {
    output.error(help());
    return EXIT.usage;
  }
  if (first === 'help') {
    // `lifeline help send` is `lifeline send --help`.
    const named = COMMANDS.find((candidate) => candidate.name === rest[0]);
    if (rest[0] !== undefined && !named) {
      output.error(`lifeline: no command '${rest[0]}'\nRun 'lifeline --help' for the commands there are.`);
      return EXIT.usage;
    }
    output.line(named ? named.help : help());
    return EXIT.ok;
  }
  const command = COMMANDS.find((candidate) => candidate.name === first);
  if (!command) {
    const hint = first.startsWith('-') ? `unknown option '${first}'` : `unknown command '${first}'`;
    output.error(`lifeline: ${hint}\nRun 'lifeline --help' for the commands there are.`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    output.line(command.help);
    return EXIT.ok;
  }
  try {
    return await command.run(joinNegativeValues(rest), output);
  } catch (error) {
    // Bad arguments (ours, node's parseArgs, or an option a library refused) are usage errors.
    const usage =
      error instanceof UsageError ||
      (error instanceof LifelineError && error.code === 'INVALID_OPTION') ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    output.error(`lifeline ${command.name}: ${(error as Error).message}`);
    if (usage) {
      output.error(`Run 'lifeline ${command.name} --help' for usage.`);
      return EXIT.usage;
    }
    return EXIT.failed;
  }
}

// A reader that stopped early (`lifeline queue list | head`) is no error: the output goes nowhere from
// then on, and a long-running command (agent, watch, serve) stops as on Ctrl-C — cleanly, its claims put
// back — instead of dying on an unhandled error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    stream.write = () => true;
    process.emit('SIGINT', 'SIGINT');
  });
}
process.exitCode = await main(process.argv.slice(2));
