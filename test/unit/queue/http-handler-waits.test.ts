import { describe, expect, it } from 'vitest';
import { classify, createFetch, FakeClock } from '../../../src/index.js';
import { PolicyRegistry } from '../../../src/policy/registry.js';
import { httpHandler, QUEUED_MAX_INLINE_WAIT_MS } from '../../../src/queue/http-operation.js';
import type { QueueItem } from '../../../src/queue/types.js';

/** The handler under a fetch whose server answers each call with `answer()`, counting the calls. */
function handlerAnswering(answer: () => Response) {
  let calls = 0;
  const clock = new FakeClock();
  const fetch = createFetch({
    fetch: async () => {
      calls++;
      return answer();
    },
    registry: new PolicyRegistry(),
    clock,
  });
  const handler = httpHandler({ fetch });
  const item = { id: 1, kind: 'http' } as QueueItem;
  const run = async () =>
    await handler(
      { method: 'POST', url: 'http://api.test/ops' },
      { idempotencyKey: 'k', attempt: 1, signal: new AbortController().signal, item },
    );
  return { run, clock, calls: () => calls };
}

describe('the http handler leaves long waits to the queue', () => {
  it('ends the attempt on a Retry-After beyond its inline limit, keeping the wait for the queue', async () => {
    const { run, calls } = handlerAnswering(
      () => new Response(null, { status: 429, headers: { 'retry-after': '30' } }),
    );
    const error = await run().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(calls()).toBe(1); // no sleep in the slot
    expect(error).toMatchObject({
      code: 'RETRY_AFTER_TOO_LONG',
      message: 'api.test asked to wait 30.0s; the queue tries again then',
    });
    expect(classify(error)).toMatchObject({ kind: 'rate-limited', retryable: true, retryAfterMs: 30_000 });
  });

  it('sleeps through a short one and tries again within the attempt', async () => {
    const answers = [
      new Response(null, { status: 429, headers: { 'retry-after': '1' } }),
      new Response('done', { status: 200 }),
    ];
    const { run, clock, calls } = handlerAnswering(() => answers.shift() as Response);
    expect(QUEUED_MAX_INLINE_WAIT_MS).toBeGreaterThanOrEqual(1000);
    const result = run();
    await clock.advance(1000);
    await expect(result).resolves.toMatchObject({ status: 200, body: 'done' });
    expect(calls()).toBe(2);
  });
});
