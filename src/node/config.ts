import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import { InvalidOptionError } from '../core/errors.js';
import { configSchema, type LifelineConfig } from './config-schema.js';
import { stateDirectory } from './state-dir.js';

export const CONFIG_FILE = 'lifeline.config.json';

export interface LoadedConfig {
  config: LifelineConfig;
  /** The file it came from, or undefined when none was found (all defaults). */
  path: string | undefined;
}

/**
 * Finds and validates the configuration: an explicit path, else `lifeline.config.json` in the current
 * directory, else in the state directory; none found means all defaults. A file that is not valid JSON
 * or does not match the schema is an error naming the file, each field and what was expected.
 */
export function loadConfig(
  options: { path?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): LoadedConfig {
  const candidates = options.path
    ? [resolve(options.cwd ?? process.cwd(), options.path)]
    : [join(options.cwd ?? process.cwd(), CONFIG_FILE), join(stateDirectory(options.env), CONFIG_FILE)];
  const path = candidates.find((candidate) => existsSync(candidate));
  if (!path) {
    if (options.path) throw new InvalidOptionError(`config: ${candidates[0]} does not exist`);
    return { config: {}, path: undefined };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InvalidOptionError(`config: ${path} is not valid JSON (${(error as Error).message})`);
  }
  return { config: parseConfig(raw, path), path };
}

/** Validates a configuration object; `source` names it in errors. */
export function parseConfig(raw: unknown, source = CONFIG_FILE): LifelineConfig {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map(describeIssue);
  throw new InvalidOptionError(
    `config: ${source} has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n  ${problems.join('\n  ')}`,
  );
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${field === '(top level)' ? '' : `${field}: `}unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `'${key}'`).join(', ')} (check the spelling)`;
    case 'invalid_type':
      return `${field}: expected ${issue.expected}`;
    case 'too_small':
      return `${field}: expected a value ${issue.inclusive ? '≥' : '>'} ${String(issue.minimum)}`;
    case 'too_big':
      return `${field}: expected a value ${issue.inclusive ? '≤' : '<'} ${String(issue.maximum)}`;
    case 'invalid_value':
      return `${field}: expected one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    default:
      return `${field}: ${issue.message}`;
  }
}

/** `${env:NAME}` in a configured header value, read at send time so secrets need not sit in files. */
export function expandEnv(value: string, env: NodeJS.ProcessEnv = process.env): string {
  return value.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const found = env[name];
    if (found === undefined)
      throw new InvalidOptionError(`config: environment variable ${name} is not set (used in http.headers)`);
    return found;
  });
}
