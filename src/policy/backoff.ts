import { InvalidOptionError } from '../core/errors.js';
import type { Random } from '../core/random.js';
import { requireNumber } from '../core/validate.js';

/**
 * Backoff: how long to wait before the next try. Stateless, so a durable queue can compute the delay for
 * its n-th attempt after a restart. Every delay is finite and within [0, maxDelayMs] for any attempt number
 * — cockatiel and Polly both once returned NaN or Infinity after about 1,024 attempts; here large attempt
 * numbers are computed in log space.
 */
export interface Backoff {
  /** The wait after the `attempt`-th failure (1 for the wait before the second try). */
  delayMs(attempt: number): number;
  /** No delay is ever longer than this. */
  readonly maxDelayMs: number;
}

/**
 * - `none`: exactly the exponential curve.
 * - `full`: uniform in [0, d] — spreads a thundering herd best (AWS "full jitter").
 * - `equal`: uniform in [d/2, d] — keeps at least half the wait.
 * - `decorrelated`: Polly v8's DecorrelatedJitterBackoffV2 — smooth growth with a median near the curve.
 */
export type Jitter = 'none' | 'full' | 'equal' | 'decorrelated';

export interface ExponentialBackoffOptions {
  /** First delay (and the median first delay for `decorrelated`). Default 200 ms. */
  initialDelayMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Cap on any delay. Default 30 s. */
  maxDelayMs?: number;
  /** Default `full`. */
  jitter?: Jitter;
  /** Default Math.random; pass `seededRandom(seed)` to replay. */
  random?: Random;
}

export interface ConstantBackoffOptions {
  /** Default `none`; `decorrelated` is not meaningful for a constant and is refused. */
  jitter?: Exclude<Jitter, 'decorrelated'>;
  random?: Random;
}

const JITTERS: readonly Jitter[] = ['none', 'full', 'equal', 'decorrelated'];

export function constantBackoff(delayMs: number, options: ConstantBackoffOptions = {}): Backoff {
  requireNumber('constantBackoff', 'delayMs', delayMs, 0);
  const jitter = options.jitter ?? 'none';
  if (!['none', 'full', 'equal'].includes(jitter)) {
    throw invalidJitter('constantBackoff', jitter, ['none', 'full', 'equal']);
  }
  const random = options.random ?? Math.random;
  return { maxDelayMs: delayMs, delayMs: () => applyJitter(delayMs, jitter, random) };
}

export function exponentialBackoff(options: ExponentialBackoffOptions = {}): Backoff {
  const initialDelayMs = requireNumber(
    'exponentialBackoff',
    'initialDelayMs',
    options.initialDelayMs ?? 200,
    0,
  );
  const factor = requireNumber('exponentialBackoff', 'factor', options.factor ?? 2, 1);
  const maxDelayMs = requireNumber('exponentialBackoff', 'maxDelayMs', options.maxDelayMs ?? 30_000, 0);
  const jitter = options.jitter ?? 'full';
  if (!JITTERS.includes(jitter)) throw invalidJitter('exponentialBackoff', jitter, JITTERS);
  const random = options.random ?? Math.random;

  if (jitter === 'decorrelated') {
    return {
      maxDelayMs,
      delayMs: (attempt) => decorrelatedDelayMs(normalise(attempt), initialDelayMs, maxDelayMs, random),
    };
  }
  return {
    maxDelayMs,
    delayMs: (attempt) =>
      applyJitter(exponentialDelayMs(normalise(attempt), initialDelayMs, factor, maxDelayMs), jitter, random),
  };
}

/** initial × factor^(attempt−1), capped — compared in log space so it never overflows. */
export function exponentialDelayMs(
  attempt: number,
  initialDelayMs: number,
  factor: number,
  maxDelayMs: number,
) {
  if (initialDelayMs === 0) return 0;
  if (initialDelayMs >= maxDelayMs) return maxDelayMs;
  const exponent = attempt - 1;
  if (exponent * Math.log(factor) >= Math.log(maxDelayMs / initialDelayMs)) return maxDelayMs;
  return Math.min(maxDelayMs, initialDelayMs * factor ** exponent);
}

// Polly v8 DecorrelatedJitterBackoffV2 constants.
const P_FACTOR = 4;
const RP_SCALING_FACTOR = 1 / 1.4;
/** Below this, 2^t is finite and computed directly; above, in log space (tanh(√4t) is 1 there). */
const DIRECT_LIMIT = 1000;

const curve = (t: number) => 2 ** t * Math.tanh(Math.sqrt(P_FACTOR * t));

/**
 * Polly's formula: delay = (f(t) − f(t_prev)) × scale × median with f(t) = 2^t·tanh(√(4t)) and
 * t = attempt + random. Polly keeps t_prev between calls; this stateless form draws a fresh t_prev in
 * [attempt−1, attempt), which has the same distribution and keeps the delay ≥ 0.
 */
function decorrelatedDelayMs(attempt: number, medianMs: number, maxDelayMs: number, random: Random): number {
  const index = attempt - 1;
  const t = index + unit(random());
  const previousT = index === 0 ? 0 : index - 1 + unit(random());
  const scale = RP_SCALING_FACTOR * medianMs;
  if (t < DIRECT_LIMIT) return clamp((curve(t) - curve(previousT)) * scale, maxDelayMs);
  // 2^t − 2^p = 2^p (2^(t−p) − 1), with t − p in (0, 2): finite in log space.
  const log2Delay = previousT + Math.log2(2 ** (t - previousT) - 1) + Math.log2(scale);
  return log2Delay >= Math.log2(maxDelayMs) ? maxDelayMs : clamp(2 ** log2Delay, maxDelayMs);
}

function applyJitter(baseMs: number, jitter: Jitter, random: Random): number {
  switch (jitter) {
    case 'full':
      return baseMs * unit(random());
    case 'equal':
      return baseMs / 2 + (baseMs / 2) * unit(random());
    default:
      return baseMs;
  }
}

/** Keeps a misbehaving random source inside [0, 1). */
function unit(value: number): number {
  return value >= 0 && value < 1 ? value : 0;
}

function clamp(delayMs: number, maxDelayMs: number): number {
  if (!(delayMs > 0)) return 0; // also NaN
  return Math.min(delayMs, maxDelayMs);
}

function normalise(attempt: number): number {
  if (attempt === Number.POSITIVE_INFINITY) return Number.MAX_SAFE_INTEGER;
  return Number.isFinite(attempt) && attempt >= 1 ? Math.floor(attempt) : 1;
}

function invalidJitter(owner: string, jitter: string, allowed: readonly string[]) {
  return new InvalidOptionError(`${owner}: jitter must be one of ${allowed.join(', ')}, got '${jitter}'`);
}
