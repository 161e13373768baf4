import { describe, expect, it } from 'vitest';
import {
  CircuitOpenError,
  classify,
  createClassifier,
  LifelineError,
  RetryAfterTooLongError,
  TimeoutError,
} from '../../../src/index.js';

const response = (status: number, headers: Record<string, string> = {}) =>
  new Response(null, { status, headers });
const nodeError = (code: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${code} happened`), { code, ...extra });

describe('classify: HTTP statuses', () => {
  it.each([
    [408, 'timeout'],
    [425, 'transient'],
    [429, 'rate-limited'],
    [500, 'transient'],
    [502, 'transient'],
    [503, 'transient'],
    [504, 'timeout'],
  ])('%i is retryable (%s)', (status, kind) => {
    const failure = classify(response(status));
    expect(failure).toMatchObject({ kind, retryable: true, status });
  });

  it.each([400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 501])('%i is permanent', (status) => {
    const failure = classify(response(status));
    expect(failure).toMatchObject({ kind: 'permanent', retryable: false, serviceFault: false, status });
  });

  it('marks 401 so a token manager can refresh, and nothing else', () => {
    expect(classify(response(401)).needsAuth).toBe(true);
    expect(classify(response(403)).needsAuth).toBeUndefined();
  });

  it('treats unknown 5xx as transient and unknown 4xx as permanent', () => {
    expect(classify(response(507)).kind).toBe('transient');
    expect(classify(response(418)).kind).toBe('permanent');
  });

  it('counts 5xx against the service but not a 404 or a 429', () => {
    expect(classify(response(503)).serviceFault).toBe(true);
    expect(classify(response(404)).serviceFault).toBe(false);
    expect(classify(response(429)).serviceFault).toBe(false);
  });

  it('reads statuses from node IncomingMessage-likes and from HTTP errors', () => {
    expect(classify({ statusCode: 502, headers: {} }).kind).toBe('transient');
    const httpError = Object.assign(new Error('Request failed'), { response: { status: 404, headers: {} } });
    expect(classify(httpError)).toMatchObject({ kind: 'permanent', status: 404 });
  });

  it('writes a readable message', () => {
    expect(classify(response(503)).message).toBe('HTTP 503 Service Unavailable');
  });
});

describe('classify: server-named waits', () => {
  const at = Date.parse('2026-11-22T10:00:00Z');
  const classifyAt = createClassifier({ now: () => at });

  it('reads Retry-After delta-seconds on 429 and 503', () => {
    expect(classifyAt(response(429, { 'retry-after': '1' })).retryAfterMs).toBe(1000);
    expect(classifyAt(response(503, { 'retry-after': '120' })).retryAfterMs).toBe(120_000);
  });

  it('reads Retry-After as an HTTP-date', () => {
    const date = new Date(at + 30_000).toUTCString();
    expect(classifyAt(response(429, { 'retry-after': date })).retryAfterMs).toBe(30_000);
  });

  it('treats a date in the past as "now"', () => {
    const date = new Date(at - 30_000).toUTCString();
    expect(classifyAt(response(429, { 'retry-after': date })).retryAfterMs).toBe(0);
  });

  it('ignores negative and unparseable values', () => {
    expect(classifyAt(response(429, { 'retry-after': '-5' })).retryAfterMs).toBeUndefined();
    expect(classifyAt(response(429, { 'retry-after': 'soon' })).retryAfterMs).toBeUndefined();
    expect(classifyAt(response(429, { 'retry-after': '' })).retryAfterMs).toBeUndefined();
  });

  it('caps absurd values instead of trusting them', () => {
    expect(classifyAt(response(429, { 'retry-after': '31536000' })).retryAfterMs).toBe(3_600_000);
    const capped = createClassifier({ now: () => at, maxRetryAfterMs: 5000 });
    expect(capped(response(503, { 'retry-after': '60' })).retryAfterMs).toBe(5000);
  });

  it('falls back to RateLimit-Reset, then X-RateLimit-Reset (delta or epoch seconds)', () => {
    expect(classifyAt(response(429, { 'ratelimit-reset': '7' })).retryAfterMs).toBe(7000);
    expect(classifyAt(response(429, { 'x-ratelimit-reset': '3' })).retryAfterMs).toBe(3000);
    const epoch = String((at + 45_000) / 1000);
    expect(classifyAt(response(429, { 'x-ratelimit-reset': epoch })).retryAfterMs).toBe(45_000);
  });

  it('does not read waits on statuses that do not carry them', () => {
    expect(classifyAt(response(500, { 'retry-after': '5' })).retryAfterMs).toBeUndefined();
  });

  it('reads plain header records as well as Headers', () => {
    expect(classifyAt({ statusCode: 429, headers: { 'Retry-After': '2' } }).retryAfterMs).toBe(2000);
  });
});

describe('classify: network errors', () => {
  it.each([
    ['ECONNRESET', 'transient', 'connection reset'],
    ['ECONNREFUSED', 'transient', 'connection refused'],
    ['ETIMEDOUT', 'timeout', 'connection timed out'],
    ['EPIPE', 'transient', 'broken pipe'],
    ['ENETUNREACH', 'offline', 'network unreachable'],
    ['EHOSTUNREACH', 'offline', 'host unreachable'],
    ['EAI_AGAIN', 'offline', 'DNS lookup failed temporarily'],
    ['ENOTFOUND', 'offline', 'host name not found'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout', 'connect timed out'],
    ['UND_ERR_SOCKET', 'transient', 'socket closed by the peer'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout', 'response headers'],
    ['UND_ERR_BODY_TIMEOUT', 'timeout', 'response body'],
  ])('%s → %s', (code, kind, message) => {
    const failure = classify(nodeError(code));
    expect(failure).toMatchObject({ kind, retryable: true, code });
    expect(failure.message).toContain(message);
  });

  it("follows fetch's TypeError('fetch failed') cause chain", () => {
    const cause = nodeError('ECONNREFUSED', { address: '127.0.0.1', port: 9 });
    const failure = classify(new TypeError('fetch failed', { cause }));
    expect(failure).toMatchObject({ kind: 'transient', code: 'ECONNREFUSED', retryable: true });
    expect(failure.message).toBe('connection refused (127.0.0.1:9)');
  });

  it('finds codes inside an AggregateError (happy eyeballs)', () => {
    const aggregate = new AggregateError([nodeError('ECONNREFUSED'), nodeError('ENETUNREACH')], 'all failed');
    const failure = classify(new TypeError('fetch failed', { cause: aggregate }));
    expect(failure.code).toBe('ECONNREFUSED');
  });

  it('treats an unexplained fetch failure as transient', () => {
    const failure = classify(new TypeError('fetch failed', { cause: new Error('other side closed') }));
    expect(failure).toMatchObject({ kind: 'transient', message: 'network error: other side closed' });
  });

  it('survives a cyclic cause chain', () => {
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(classify(a).kind).toBe('permanent');
  });
});

describe('classify: cancellation, timeouts and lifeline errors', () => {
  it('AbortError is cancelled and never retried', () => {
    const controller = new AbortController();
    controller.abort();
    expect(classify(controller.signal.reason)).toMatchObject({ kind: 'cancelled', retryable: false });
  });

  it('DOM TimeoutError (AbortSignal.timeout) is a timeout', () => {
    const error = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(classify(error)).toMatchObject({ kind: 'timeout', retryable: true });
  });

  it('lifeline errors classify as they declare', () => {
    expect(classify(new TimeoutError(300))).toMatchObject({ kind: 'timeout', code: 'TIMEOUT' });
    const open = classify(new CircuitOpenError('walrus', 1500, 'test'));
    expect(open).toMatchObject({ kind: 'circuit-open', retryAfterMs: 1500, serviceFault: false });
    const tooLong = classify(new RetryAfterTooLongError(120_000, 60_000, null));
    expect(tooLong).toMatchObject({ kind: 'rate-limited', retryable: true, retryAfterMs: 120_000 });
  });

  it('finds a lifeline error under fetch failed', () => {
    const failure = classify(new TypeError('fetch failed', { cause: new TimeoutError(50) }));
    expect(failure.kind).toBe('timeout');
  });

  it('does not retry what it does not recognise', () => {
    expect(classify(new Error('undefined is not a function'))).toMatchObject({
      kind: 'permanent',
      retryable: false,
      message: 'undefined is not a function',
    });
    expect(classify('a string').message).toBe('a string');
    expect(classify(undefined).kind).toBe('permanent');
  });
});

describe('createClassifier: user rules', () => {
  it('extends the table with a code it does not know', () => {
    const custom = createClassifier({
      rules: [{ code: 'SUI_BUSY', kind: 'transient', message: 'sui node busy' }],
    });
    expect(custom(nodeError('SUI_BUSY'))).toMatchObject({
      kind: 'transient',
      retryable: true,
      message: 'sui node busy',
    });
    expect(classify(nodeError('SUI_BUSY')).kind).toBe('permanent');
  });

  it('overrides the table for a status', () => {
    const custom = createClassifier({ rules: [{ status: 409, kind: 'transient' }] });
    expect(custom(response(409))).toMatchObject({ kind: 'transient', retryable: true, status: 409 });
    expect(custom(response(404)).kind).toBe('permanent');
  });

  it('requires every condition of a rule to match, first rule wins', () => {
    const custom = createClassifier({
      rules: [
        {
          status: 500,
          match: (input) => (input as Response).headers.get('x-kind') === 'fatal',
          kind: 'permanent',
        },
        { status: [500, 502], kind: 'timeout', retryable: false, serviceFault: false },
      ],
    });
    expect(custom(response(500, { 'x-kind': 'fatal' })).kind).toBe('permanent');
    expect(custom(response(500))).toMatchObject({ kind: 'timeout', retryable: false, serviceFault: false });
  });

  it('ignores an empty rule rather than matching everything', () => {
    const custom = createClassifier({ rules: [{ kind: 'transient' }] });
    expect(custom(new Error('x')).kind).toBe('permanent');
  });

  it('LifelineError keeps its stable code', () => {
    const error = new TimeoutError(10);
    expect(error).toBeInstanceOf(LifelineError);
    expect(error.code).toBe('TIMEOUT');
  });
});
