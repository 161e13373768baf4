import { parseArgs } from 'node:util';
import { UsageError } from './command.js';
import type { Output } from './output.js';

type ActionOptions = Record<string, { type: 'string' | 'boolean'; default?: string }>;

/**
 * The arguments of a queue action, read strictly (a mistyped flag is bad usage, not ignored): its own
 * options, --json, and at most `maxIds` item ids.
 */
export function actionArgs(command: string, args: string[], options: ActionOptions = {}, maxIds = 0) {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: { ...options, json: { type: 'boolean' } },
  });
  if (positionals.length > maxIds)
    throw new UsageError(
      `queue ${command} takes ${maxIds === 0 ? 'no arguments' : 'one item id'}, not '${positionals.join(' ')}'`,
    );
  return {
    values: values as Record<string, string | boolean | undefined>,
    positionals,
    json: values.json === true,
  };
}

/** One result: a JSON line with --json, else the sentence. */
export function say(output: Output, json: boolean, event: Record<string, unknown>, text: () => string): void {
  if (json) output.json(event);
  else output.line(text());
}
