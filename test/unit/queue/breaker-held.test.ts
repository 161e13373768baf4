import { afterEach, describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../../../src/index.js';
import { transientError } from '../../helpers.js';
import { setup, stopQueues } from './queue-setup.js';

afterEach(stopQueues);

describe('an item an open breaker refuses unsent', () => {
  it('spends no attempt: it waits for the breaker, and only real failures lead to the dead letter', async () => {
    const { clock, queue } = setup({ maxAttempts: 3 });
    let hostUp = false;
    let refusals = 0;
    queue.handle('op', async () => {
      if (hostUp) throw transientError(); // the host answers now, and fails: these count
      refusals++;
      throw new CircuitOpenError('http api.test', 5000, '5 consecutive failures');
    });
    const item = await queue.enqueue('op', 1);
    queue.start();
    await clock.advance(60_000);
    expect(refusals).toBeGreaterThanOrEqual(10); // one every 5 s, the breaker's time to its trial
    expect(await queue.get(item.id)).toMatchObject({
      status: 'pending',
      attempts: 0,
      lastError: { kind: 'circuit-open' },
    });
    hostUp = true;
    await clock.advance(60_000);
    expect(await queue.get(item.id)).toMatchObject({ status: 'dead', attempts: 3 });
  });
});
