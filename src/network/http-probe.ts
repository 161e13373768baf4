import { type Clock, realClock } from '../core/clock.js';
import { InvalidOptionError } from '../core/errors.js';
import type { Probe, ProbeResult } from './probe.js';

export interface HttpProbeOptions {
  /** The health endpoint. It should be cheap and answer 2xx when the service can take work. */
  url: string | URL;
  /** Default `globalThis.fetch`, looked up at each probe (so a test or polyfill installed later is used). */
  fetch?: typeof globalThis.fetch;
  /** Whether an answer means "online". Default `response.ok` (2xx); `(r) => r.status < 500` trusts any answer. */
  isHealthy?: (response: Response) => boolean;
  /** Extra request headers (an API key, say). */
  headers?: Record<string, string>;
  /** Measures latency. Default the real clock. */
  clock?: Clock;
}

/** A health endpoint answered, but not with a healthy status; carries `status` so `classify()` reads it. */
export class ProbeStatusError extends Error {
  readonly status: number;
  readonly headers: Headers;

  constructor(url: string, response: Response) {
    super(`health check ${url} answered HTTP ${response.status}`);
    this.name = 'ProbeStatusError';
    this.status = response.status;
    this.headers = response.headers;
  }
}

/**
 * A probe that sends HEAD to a health URL, falling back to GET when the server answers 405 (and using GET
 * from then on, to spare a round trip per probe on a slow link). Bypasses caches; reads no body. Resolves
 * `{ ok, latencyMs, error? }` and never throws: a network error or an abort resolves `{ ok: false, error }`.
 */
export function httpProbe(options: HttpProbeOptions): Probe {
  const url = String(options?.url ?? '');
  try {
    new URL(url);
  } catch {
    throw new InvalidOptionError(
      `httpProbe: url must be an absolute URL such as https://api.example.com/health, got '${url}'`,
    );
  }
  const isHealthy = options.isHealthy ?? ((response: Response) => response.ok);
  const clock = options.clock ?? realClock;
  let method: 'HEAD' | 'GET' = 'HEAD';

  return async ({ signal }): Promise<ProbeResult> => {
    const fetchFn = options.fetch ?? globalThis.fetch;
    // `cache` keeps a browser from answering the probe from its HTTP cache while the link is down.
    const request = (): RequestInit & { cache: 'no-store' } => ({
      method,
      signal,
      cache: 'no-store',
      headers: options.headers ?? {},
    });
    let startMs = clock.now();
    try {
      let response = await fetchFn(url, request());
      if (response.status === 405 && method === 'HEAD') {
        await discard(response);
        method = 'GET';
        startMs = clock.now();
        response = await fetchFn(url, request());
      }
      const latencyMs = clock.now() - startMs;
      await discard(response);
      return isHealthy(response)
        ? { ok: true, latencyMs }
        : { ok: false, latencyMs, error: new ProbeStatusError(url, response) };
    } catch (error) {
      return { ok: false, error };
    }
  };
}

/** Frees the connection without downloading a body the probe does not need. */
async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // Already consumed or errored: nothing left to free.
  }
}
