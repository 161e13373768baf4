import { InvalidOptionError } from '../core/errors.js';

type Body = NonNullable<RequestInit['body']>;
export type HeadersInput = ConstructorParameters<typeof Headers>[0];

/** What one logical request is, prepared once and replayed on every attempt. */
export interface RequestPlan {
  url: URL;
  method: string;
  headers: Headers;
  body: Body | undefined;
  /** A stream can be sent once: such a request is not retried after it may have been sent. */
  oneShotBody: boolean;
  /** Sent on every attempt of a non-idempotent request; undefined when none. */
  idempotencyKey: string | undefined;
  init: RequestInit;
}

export interface PlanOptions {
  /** An explicit key, `false` for none (the request is then retried only when it surely was not sent). */
  idempotencyKey?: string | false;
  defaultHeaders?: HeadersInput;
}

/** Methods that may be repeated without changing the effect (RFC 9110 §9.2.2). */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'OPTIONS',
  'TRACE',
  'PUT',
  'DELETE',
]);

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

export async function planRequest(
  input: string | URL | Request,
  init: RequestInit,
  options: PlanOptions,
): Promise<RequestPlan> {
  let url: URL;
  let method = (init.method ?? 'GET').toUpperCase();
  const headers = new Headers(options.defaultHeaders);
  let body: Body | undefined = init.body ?? undefined;
  if (input instanceof Request) {
    url = new URL(input.url);
    method = (init.method ?? input.method).toUpperCase();
    for (const [name, value] of input.headers) headers.set(name, value);
    // Buffered once, so every attempt can send it again.
    if (body === undefined && input.body) body = await input.arrayBuffer();
  } else {
    try {
      url = new URL(input);
    } catch {
      throw new InvalidOptionError(
        `resilientFetch: '${String(input)}' is not an absolute URL; include the scheme and host`,
      );
    }
  }
  const given = init.headers instanceof Headers ? init.headers : new Headers(init.headers);
  for (const [name, value] of given) headers.set(name, value);

  let idempotencyKey = headers.get(IDEMPOTENCY_HEADER) ?? undefined;
  if (idempotencyKey === undefined && !IDEMPOTENT_METHODS.has(method) && options.idempotencyKey !== false) {
    idempotencyKey = options.idempotencyKey ?? crypto.randomUUID();
  }
  if (idempotencyKey !== undefined) headers.set(IDEMPOTENCY_HEADER, idempotencyKey);

  const oneShotBody = isStream(body);
  const attemptInit: RequestInit = { ...init, method, headers, body: body ?? null };
  if (oneShotBody) (attemptInit as RequestInit & { duplex: 'half' }).duplex = 'half';
  return { url, method, headers, body, oneShotBody, idempotencyKey, init: attemptInit };
}

function isStream(body: unknown): boolean {
  if (body === null || typeof body !== 'object') return false;
  if (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream) return true;
  // Node streams and async generators.
  return Symbol.asyncIterator in body;
}

/** Failures that prove the request never reached the server, so even a non-idempotent one may go again. */
export const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'CIRCUIT_OPEN',
  'RETRY_AFTER_TOO_LONG',
  'BULKHEAD_FULL',
  'RATE_LIMITED',
]);
