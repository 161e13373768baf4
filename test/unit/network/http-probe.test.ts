import { describe, expect, it } from 'vitest';
import { classify, FakeClock, InvalidOptionError } from '../../../src/index.js';
import { httpProbe, ProbeStatusError } from '../../../src/network/index.js';
import { track } from '../../helpers.js';

interface Call {
  url: string;
  method: string | undefined;
  cache: unknown;
  signal: AbortSignal | null | undefined;
  headers: unknown;
}

/** A fetch that answers `statuses` in turn after `latencyMs` of fake time, recording each request. */
function fakeFetch(clock: FakeClock, answer: (method: string) => number | Error, latencyMs = 0) {
  const calls: Call[] = [];
  const cancelled: string[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit & { cache?: unknown }) => {
    const method = init?.method ?? 'GET';
    calls.push({
      url: String(input),
      method,
      cache: init?.cache,
      signal: init?.signal,
      headers: init?.headers,
    });
    if (latencyMs > 0) await clock.sleep(latencyMs);
    const outcome = answer(method);
    if (outcome instanceof Error) throw outcome;
    const body =
      method === 'HEAD'
        ? null
        : new ReadableStream({
            cancel: () => void cancelled.push(method),
            pull: (c) => c.enqueue(new Uint8Array(1)),
          });
    return new Response(body, { status: outcome });
  }) as typeof globalThis.fetch;
  return { fetch, calls, cancelled };
}

const URL_ = 'https://api.example.com/health';

describe('httpProbe', () => {
  it('sends HEAD, bypassing caches, and reports the latency on its clock', async () => {
    const clock = new FakeClock();
    const { fetch, calls } = fakeFetch(clock, () => 204, 120);
    const probe = httpProbe({ url: URL_, fetch, clock, headers: { 'x-api-key': 'k' } });
    const signal = new AbortController().signal;
    const result = track(probe({ signal }));
    await clock.advance(120);
    expect(result.value).toEqual({ ok: true, latencyMs: 120 });
    expect(calls).toEqual([
      { url: URL_, method: 'HEAD', cache: 'no-store', signal, headers: { 'x-api-key': 'k' } },
    ]);
  });

  it('falls back to GET on 405, reads no body, and uses GET from then on', async () => {
    const clock = new FakeClock();
    const { fetch, calls, cancelled } = fakeFetch(clock, (method) => (method === 'HEAD' ? 405 : 200), 50);
    const probe = httpProbe({ url: URL_, fetch, clock });
    const first = track(probe({ signal: new AbortController().signal }));
    await clock.advance(100);
    expect(first.value).toEqual({ ok: true, latencyMs: 50 }); // the GET's round trip, not both
    expect(cancelled).toEqual(['GET']);
    const second = track(probe({ signal: new AbortController().signal }));
    await clock.advance(50);
    expect(second.value).toEqual({ ok: true, latencyMs: 50 });
    expect(calls.map((call) => call.method)).toEqual(['HEAD', 'GET', 'GET']);
  });

  it('an unhealthy status fails the probe with an error classify() reads', async () => {
    const clock = new FakeClock();
    const { fetch } = fakeFetch(clock, () => 503);
    const result = await httpProbe({ url: URL_, fetch, clock })({ signal: new AbortController().signal });
    expect(result).toMatchObject({ ok: false, latencyMs: 0 });
    expect(result.error).toBeInstanceOf(ProbeStatusError);
    expect((result.error as Error).message).toBe(`health check ${URL_} answered HTTP 503`);
    expect(classify(result.error)).toMatchObject({ kind: 'transient', status: 503 });
  });

  it('isHealthy decides what counts as an answer from a working link', async () => {
    const clock = new FakeClock();
    const { fetch } = fakeFetch(clock, () => 404);
    const signal = new AbortController().signal;
    await expect(httpProbe({ url: URL_, fetch, clock })({ signal })).resolves.toMatchObject({ ok: false });
    const anyAnswer = httpProbe({ url: URL_, fetch, clock, isHealthy: (response) => response.status < 500 });
    await expect(anyAnswer({ signal })).resolves.toMatchObject({ ok: true });
  });

  it('resolves { ok: false, error } when fetch rejects, rather than throwing', async () => {
    const clock = new FakeClock();
    const failure = new TypeError('fetch failed', {
      cause: Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }),
    });
    const { fetch } = fakeFetch(clock, () => failure);
    const result = await httpProbe({ url: URL_, fetch, clock })({ signal: new AbortController().signal });
    expect(result).toEqual({ ok: false, error: failure });
  });

  it('uses globalThis.fetch by default, looked up at each probe', async () => {
    const clock = new FakeClock();
    const { fetch, calls } = fakeFetch(clock, () => 200);
    const original = globalThis.fetch;
    const probe = httpProbe({ url: new URL(URL_), clock });
    globalThis.fetch = fetch;
    try {
      await expect(probe({ signal: new AbortController().signal })).resolves.toMatchObject({ ok: true });
    } finally {
      globalThis.fetch = original;
    }
    expect(calls).toHaveLength(1);
  });

  it('refuses a URL that is not absolute', () => {
    expect(() => httpProbe({ url: '/health' })).toThrow(InvalidOptionError);
    expect(() => httpProbe({ url: '/health' })).toThrow(/url must be an absolute URL/);
  });
});
