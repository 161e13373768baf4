import { describe, expect, it } from 'vitest';
import { BUFFERED_BODY, discardBody, guardBody } from '../../../src/http/body-guard.js';
import { FakeClock, TimeoutError } from '../../../src/index.js';
import { track } from '../../helpers.js';

function trickle() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  return { response: new Response(stream, { status: 200 }), controller };
}

describe('guardBody', () => {
  it('errors the body when no bytes come for the stall timeout while reading', async () => {
    const clock = new FakeClock();
    const { response, controller } = trickle();
    const stalls: TimeoutError[] = [];
    const guarded = guardBody(response, {
      stallTimeoutMs: 500,
      clock,
      signal: new AbortController().signal,
      onStall: (e) => stalls.push(e),
    });
    const body = track(guarded.text());
    controller.enqueue(new TextEncoder().encode('a'));
    await clock.advance(400);
    controller.enqueue(new TextEncoder().encode('b'));
    await clock.advance(400);
    expect(body.settled).toBe(false);
    await clock.advance(100);
    expect(body.error).toBeInstanceOf(TimeoutError);
    expect(stalls).toHaveLength(1);
  });

  it('passes a complete body through, keeping status and headers', async () => {
    const clock = new FakeClock();
    const response = new Response('whole', { status: 201, headers: { 'x-a': '1' } });
    const guarded = guardBody(response, {
      stallTimeoutMs: 500,
      clock,
      signal: new AbortController().signal,
      onStall: () => {},
    });
    expect([guarded.status, guarded.headers.get('x-a')]).toEqual([201, '1']);
    expect(await guarded.text()).toBe('whole');
    expect(clock.pendingTimers).toBe(0);
  });

  it("the caller's signal cancels the body", async () => {
    const clock = new FakeClock();
    const { response } = trickle();
    const controller = new AbortController();
    const guarded = guardBody(response, {
      stallTimeoutMs: 10_000,
      clock,
      signal: controller.signal,
      onStall: () => {},
    });
    const body = track(guarded.text());
    controller.abort(new Error('enough'));
    await clock.settle();
    expect(body.error).toEqual(new Error('enough'));
  });

  it('hands a buffered response over as it is, without touching its body', () => {
    const response = new Response('whole');
    let bodyRead = false;
    Object.defineProperty(response, BUFFERED_BODY, { value: true });
    Object.defineProperty(response, 'body', {
      get: () => {
        bodyRead = true;
        return null;
      },
    });
    const options = { stallTimeoutMs: 500, clock: new FakeClock(), signal: new AbortController().signal };
    expect(guardBody(response, { ...options, onStall: () => {} })).toBe(response);
    discardBody(response);
    expect(bodyRead).toBe(false);
  });

  it('discardBody cancels a streamed body nobody will read', async () => {
    const { response } = trickle();
    discardBody(response);
    discardBody(undefined);
    await expect(response.body?.getReader().read()).resolves.toEqual({ done: true, value: undefined });
  });
});
