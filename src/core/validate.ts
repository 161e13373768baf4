import { InvalidOptionError } from './errors.js';

/** Option checks that name the owner, the option and what was given, so a bad configuration is easy to fix. */

export function requireInteger(owner: string, name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new InvalidOptionError(`${owner}: ${name} must be an integer ≥ ${min}, got ${String(value)}`);
  }
  return value;
}

/** A finite number ≥ min (use for durations and rates; Infinity is refused unless allowInfinity). */
export function requireNumber(
  owner: string,
  name: string,
  value: number,
  min: number,
  limits: { max?: number; allowInfinity?: boolean } = {},
): number {
  const finiteOk = Number.isFinite(value) || (limits.allowInfinity === true && value === Infinity);
  if (
    typeof value !== 'number' ||
    !finiteOk ||
    value < min ||
    (limits.max !== undefined && value > limits.max)
  ) {
    const range = limits.max === undefined ? `≥ ${min}` : `between ${min} and ${limits.max}`;
    throw new InvalidOptionError(`${owner}: ${name} must be a number ${range}, got ${String(value)}`);
  }
  return value;
}
