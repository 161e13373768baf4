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

  it('a view with a shorter limit shares the pause: its calls fail at once, the others still wait', async () => {
    const clock = new FakeClock();
    const gate = new PushbackGate('api.test', 60_000, clock);
    const brief = gate.limitedTo(2_000);
    gate.pauseFor(10_000);
    await expect(brief.execute(async () => 'x')).rejects.toMatchObject({
      code: 'RETRY_AFTER_TOO_LONG',
      retryAfterMs: 10_000,
    });
    const held = track(gate.execute(async () => 'later'));
    await clock.advance(9_000);
    expect(held.settled).toBe(false);
    const soon = track(brief.execute(async () => 'soon')); // 1 s left: within its limit, so it waits
    await clock.advance(1_000);
    expect(held.value).toBe('later');
    expect(soon.value).toBe('soon');
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
