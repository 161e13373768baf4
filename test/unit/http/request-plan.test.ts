import { describe, expect, it } from 'vitest';
import { planRequest } from '../../../src/http/request-plan.js';

describe('planRequest', () => {
  it('gives POST and PATCH an Idempotency-Key, and leaves idempotent methods alone', async () => {
    const post = await planRequest('https://api.test/ops', { method: 'post', body: 'x' }, {});
    expect(post.method).toBe('POST');
    expect(post.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(post.headers.get('idempotency-key')).toBe(post.idempotencyKey);
    expect((await planRequest('https://api.test/ops', { method: 'PATCH' }, {})).idempotencyKey).toBeDefined();
    for (const method of ['GET', 'PUT', 'DELETE', 'HEAD']) {
      expect((await planRequest('https://api.test/x', { method }, {})).idempotencyKey).toBeUndefined();
    }
  });

  it("keeps the caller's key, takes an explicit one, or sends none when told", async () => {
    const own = await planRequest(
      'https://api.test/ops',
      { method: 'POST', headers: { 'Idempotency-Key': 'mine' } },
      {},
    );
    expect(own.idempotencyKey).toBe('mine');
    expect(
      (await planRequest('https://api.test/ops', { method: 'POST' }, { idempotencyKey: 'given' }))
        .idempotencyKey,
    ).toBe('given');
    const none = await planRequest('https://api.test/ops', { method: 'POST' }, { idempotencyKey: false });
    expect(none.idempotencyKey).toBeUndefined();
    expect(none.headers.has('idempotency-key')).toBe(false);
  });

  it('knows which bodies can be sent again', async () => {
    const replayable = ['text', new Uint8Array([1]), new Blob(['b']), new URLSearchParams('a=1')];
    for (const body of replayable)
      expect((await planRequest('https://a.test/', { method: 'POST', body }, {})).oneShotBody).toBe(false);
    const stream = new ReadableStream();
    expect((await planRequest('https://a.test/', { method: 'POST', body: stream }, {})).oneShotBody).toBe(
      true,
    );
  });

  it('buffers a Request body once so every attempt can send it', async () => {
    const request = new Request('https://a.test/ops', {
      method: 'POST',
      body: 'from a request',
      headers: { 'x-a': '1' },
    });
    const plan = await planRequest(request, {}, { defaultHeaders: { 'x-default': 'd' } });
    expect(plan.oneShotBody).toBe(false);
    expect(new TextDecoder().decode(plan.body as ArrayBuffer)).toBe('from a request');
    expect([plan.headers.get('x-a'), plan.headers.get('x-default')]).toEqual(['1', 'd']);
  });

  it('refuses a relative URL clearly', async () => {
    await expect(planRequest('/ops', {}, {})).rejects.toThrow("'/ops' is not an absolute URL");
  });
});
