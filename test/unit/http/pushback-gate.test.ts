import { describe, expect, it } from 'vitest';
import { PushbackGate } from '../../../src/http/pushback-gate.js';
import { FakeClock } from '../../../src/index.js';
import { track } from '../../helpers.js';

describe('PushbackGate', () => {
  it('lets calls through at once until a wait is named, then holds every call until then', async () => {
    const clock = new FakeClock();
    const gate = new PushbackGate('api.test', 60_000, clock);
    await expect(gate.execute(async () => 'now')).resolves.toBe('now');
    gate.pauseFor(1000);
    const held = track(gate.execute(async () => 'later'));
    await clock.advance(999);
    expect(held.settled).toBe(false);
    await clock.advance(1);
    expect(held.value).toBe('later');
  });

  it('keeps the later of two pauses', async () => {
    const clock = new FakeClock();
    const gate = new PushbackGate('api.test', 60_000, clock);
    const events: number[] = [];
    gate.on('pushback', (event) => events.push(event.retryAfterMs));
    gate.pauseFor(5000);
    gate.pauseFor(1000);
    expect(gate.remainingMs).toBe(5000);
    expect(events).toEqual([5000]);
  });

  it('fails at once when the wait is longer than allowed', async () => {
    const gate = new PushbackGate('api.test', 1000, new FakeClock());
    gate.pauseFor(30_000);
    await expect(gate.execute(async () => 'x')).rejects.toMatchObject({
      code: 'RETRY_AFTER_TOO_LONG',
      retryAfterMs: 30_000,
    });
  });

  it('a held call can be cancelled', async () => {
    const clock = new FakeClock();
    const gate = new PushbackGate('api.test', 60_000, clock);
    gate.pauseFor(10_000);
    const controller = new AbortController();
    const held = track(gate.execute(async () => 'x', { signal: controller.signal }));
    controller.abort(new Error('stop'));
    await clock.settle();
    expect(held.error).toEqual(new Error('stop'));
  });
});
