/**
 * Parsing of the headers with which a server names a wait: `Retry-After` (RFC 9110: delta-seconds or an
 * HTTP-date), `RateLimit-Reset` (IETF draft: delta-seconds) and `X-RateLimit-Reset` (delta-seconds, or epoch
 * seconds as GitHub sends it). A negative or unparseable value is ignored; an absurd one is capped by the caller.
 */

/** Anything that looks like `Headers` (fetch) or a plain header record (`node:http`). */
export type HeaderSource =
  | { get(name: string): string | null | undefined }
  | Readonly<Record<string, string | readonly string[] | number | undefined>>;

export function readHeader(headers: HeaderSource | undefined | null, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    const value = (headers as { get(name: string): string | null | undefined }).get(name);
    return value ?? undefined;
  }
  const record = headers as Record<string, unknown>;
  const lower = name.toLowerCase();
  for (const key of Object.keys(record)) {
    if (key.toLowerCase() !== lower) continue;
    const value = record[key];
    if (Array.isArray(value)) return value.length > 0 ? String(value[0]) : undefined;
    return value === undefined ? undefined : String(value);
  }
  return undefined;
}

const DELTA_SECONDS = /^\s*(\d+(?:\.\d+)?)\s*$/;

/** `Retry-After`: delta-seconds or HTTP-date. Returns milliseconds from `nowMs`, or undefined when invalid. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const delta = DELTA_SECONDS.exec(value);
  if (delta) return Math.round(Number(delta[1]) * 1000);
  // Only accept things that look like dates: Date.parse is lenient enough to read "-5" or "1" as a year.
  if (!/[a-z]/i.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  // A date in the past means "now".
  return Math.max(0, at - nowMs);
}

/** Epoch seconds are larger than any sane delta: 1e9 s is 2001-09-09. */
const EPOCH_SECONDS_THRESHOLD = 1e9;

/** `RateLimit-Reset` / `X-RateLimit-Reset`: delta-seconds, or epoch seconds for the X- form. */
export function parseRateLimitReset(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const match = DELTA_SECONDS.exec(value);
  if (!match) return undefined;
  const seconds = Number(match[1]);
  if (seconds >= EPOCH_SECONDS_THRESHOLD) return Math.max(0, Math.round(seconds * 1000 - nowMs));
  return Math.round(seconds * 1000);
}

/** The wait a response names, in the order servers mean it: Retry-After, RateLimit-Reset, X-RateLimit-Reset. */
export function serverNamedWaitMs(
  headers: HeaderSource | undefined | null,
  nowMs: number,
): number | undefined {
  return (
    parseRetryAfter(readHeader(headers, 'retry-after'), nowMs) ??
    parseRateLimitReset(readHeader(headers, 'ratelimit-reset'), nowMs) ??
    parseRateLimitReset(readHeader(headers, 'x-ratelimit-reset'), nowMs)
  );
}
