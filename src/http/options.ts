import type { Classifier } from '../core/classify.js';
import type { Clock } from '../core/clock.js';
import { requireInteger, requireNumber } from '../core/validate.js';
import type { Backoff } from '../policy/backoff.js';
import type { CircuitBreakerOptions } from '../policy/circuit-breaker.js';
import type { PolicyRegistry } from '../policy/registry.js';
import type { RetryBudget } from '../policy/retry-budget.js';
import type { HeadersInput } from './request-plan.js';

/** Settings that may differ per host (`hosts`) and per request (`init.lifeline`). */
export interface RequestSettings {
  /** Total tries of one request. Default 3. */
  maxAttempts?: number;
  /** Default exponential from 200 ms to 10 s, full jitter. */
  backoff?: Backoff;
  /** Time allowed until the response headers arrive, per attempt. Default 30 s. */
  timeoutMs?: number;
  /** Time allowed without a byte of the response body while it is being read. Default 30 s. */
  stallTimeoutMs?: number;
  /** A server-named wait longer than this fails at once (RETRY_AFTER_TOO_LONG). Default 60 s. */
  maxRetryAfterMs?: number;
  /** Headers added to every request (a request's own headers win). */
  headers?: HeadersInput;
}

export interface ResilientFetchOptions extends RequestSettings {
  /** The fetch underneath. Default `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Options of the breaker each host gets; `false` for none. Default 5 consecutive failures, 30 s open. */
  circuitBreaker?: Omit<CircuitBreakerOptions, 'name' | 'clock' | 'classify'> | false;
  /** Where per-host breakers live (named `http <host>`), for health views. Default the shared registry. */
  registry?: PolicyRegistry;
  /** A retry budget shared by every request of this client. */
  budget?: RetryBudget;
  classify?: Classifier;
  clock?: Clock;
  /** Settings per host, keyed by URL host ("api.example.com", "127.0.0.1:8080"). */
  hosts?: Record<string, RequestSettings>;
}

/** What a request may say about itself, in `init.lifeline`. */
export interface LifelineRequestOptions extends Omit<RequestSettings, 'headers' | 'backoff'> {
  /**
   * For POST and PATCH: the key sent as Idempotency-Key, the same on every attempt. Default a new UUID
   * per request. `false` sends none; the request is then retried only when it surely was not sent.
   */
  idempotencyKey?: string | false;
  /** Names the request in events and the failure log. Default "METHOD host". */
  operation?: string;
}

export type ResilientRequestInit = RequestInit & { lifeline?: LifelineRequestOptions };

export interface EffectiveSettings {
  maxAttempts: number;
  backoff: Backoff | undefined;
  timeoutMs: number;
  stallTimeoutMs: number;
  maxRetryAfterMs: number;
}

/** Request options over host options over client options over defaults, checked. */
export function effectiveSettings(...layers: Array<RequestSettings | undefined>): EffectiveSettings {
  const pick = <K extends keyof RequestSettings>(key: K): RequestSettings[K] => {
    for (let i = layers.length - 1; i >= 0; i--) {
      const value = layers[i]?.[key];
      if (value !== undefined) return value;
    }
    return undefined;
  };
  const owner = 'resilientFetch';
  return {
    maxAttempts: requireInteger(owner, 'maxAttempts', pick('maxAttempts') ?? 3, 1),
    backoff: pick('backoff'),
    timeoutMs: requireNumber(owner, 'timeoutMs', pick('timeoutMs') ?? 30_000, 1),
    stallTimeoutMs: requireNumber(owner, 'stallTimeoutMs', pick('stallTimeoutMs') ?? 30_000, 1),
    maxRetryAfterMs: requireNumber(owner, 'maxRetryAfterMs', pick('maxRetryAfterMs') ?? 60_000, 0),
  };
}
