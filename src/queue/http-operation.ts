import { classify } from '../core/classify.js';
import { InvalidOptionError, LifelineError, RetryAfterTooLongError } from '../core/errors.js';
import { formatDuration } from '../core/format.js';
import { discardBody } from '../http/body-guard.js';
import { HttpStatusError } from '../http/http-status-error.js';
import { IDEMPOTENCY_HEADER } from '../http/request-plan.js';
import type { ResilientFetch } from '../http/resilient-fetch.js';
import type { Handler } from './handler.js';

/** The built-in `http` operation: a request written down to be sent later. Plain JSON, persisted as is. */
export interface HttpOperation {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** The body as text; binary bodies are base64 with `bodyEncoding: 'base64'`. */
  body?: string;
  bodyEncoding?: 'utf8' | 'base64';
}

/** What a completed `http` operation keeps: the status and the start of the response body. */
export interface HttpOperationResult {
  status: number;
  body: string;
}

/** Headers that carry credentials by default; they are never stored in a queued item. */
export const DEFAULT_SENSITIVE_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];

const KEPT_BODY_CHARS = 4096;

/**
 * The longest named wait (Retry-After, a paused host, an open breaker's time to its trial) an attempt
 * sleeps through. A longer one ends the attempt, and the queue schedules the item's next one for then:
 * an item waiting on one host must not hold a slot that items for other hosts could use.
 */
export const QUEUED_MAX_INLINE_WAIT_MS = 2_000;

/**
 * Builds an `http` operation, refusing credentials: a queued item sits on disk, maybe for days, so
 * secrets come from configuration at send time (`headersFor`) instead.
 */
export function httpOperation(
  request: HttpOperation,
  sensitiveHeaders: readonly string[] = DEFAULT_SENSITIVE_HEADERS,
): HttpOperation {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    throw new InvalidOptionError(
      `http operation: '${request.url}' is not an absolute URL; include the scheme and host`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidOptionError(
      `http operation: only http and https URLs can be queued, not ${url.protocol}`,
    );
  }
  const refused = Object.keys(request.headers ?? {}).filter((name) =>
    sensitiveHeaders.includes(name.toLowerCase()),
  );
  if (refused.length > 0) {
    throw new InvalidOptionError(
      `http operation: ${refused.join(', ')} would be stored in the queue on disk; put it in lifeline.config.json ` +
        'under http.headers instead (values may use ${env:NAME}), and it is added when the request is sent',
    );
  }
  return { ...request, method: request.method.toUpperCase(), url: url.href };
}

/**
 * The handler of the `http` kind: sends the stored request through resilientFetch with the item's
 * idempotency key, adding credential headers at send time. A failing status is thrown (so the queue
 * retries or buries it by its classification); a success keeps the status and the start of the body.
 */
export function httpHandler(options: {
  fetch: ResilientFetch;
  headersFor?: (url: URL) => Record<string, string>;
}): Handler<HttpOperation, HttpOperationResult> {
  return async (operation, { idempotencyKey, signal, item }) => {
    const url = new URL(operation.url);
    const headers = new Headers(operation.headers);
    for (const [name, value] of Object.entries(options.headersFor?.(url) ?? {})) headers.set(name, value);
    headers.set(IDEMPOTENCY_HEADER, idempotencyKey);
    const body =
      operation.body === undefined
        ? undefined
        : operation.bodyEncoding === 'base64'
          ? Uint8Array.from(atob(operation.body), (char) => char.charCodeAt(0))
          : operation.body;
    const response = await options
      .fetch(url, {
        method: operation.method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal,
        lifeline: {
          idempotencyKey,
          operation: `queue ${item.kind} ${operation.method} ${url.host}`,
          maxRetryAfterMs: QUEUED_MAX_INLINE_WAIT_MS,
        },
      })
      .catch((error: unknown) => {
        throw error instanceof RetryAfterTooLongError ? leftToQueue(error, url.host) : error;
      });
    if (!response.ok) {
      discardBody(response);
      throw new HttpStatusError(response, classify(response));
    }
    const text = await response.text();
    return { status: response.status, body: text.slice(0, KEPT_BODY_CHARS) };
  };
}

/** A wait the attempt does not sleep through, said as the queue sees it (the same traits: the same wait). */
function leftToQueue(error: RetryAfterTooLongError, host: string): LifelineError {
  return new LifelineError(
    error.code,
    `${host} asked to wait ${formatDuration(error.retryAfterMs)}; the queue tries again then`,
    error.traits,
    { cause: error },
  );
}
