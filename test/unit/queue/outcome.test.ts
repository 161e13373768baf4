import { describe, expect, it } from 'vitest';
import { classify } from '../../../src/index.js';
import { decideOutcome } from '../../../src/queue/outcome.js';
import type { QueueItem } from '../../../src/queue/types.js';
import { transientError } from '../../helpers.js';

describe('decideOutcome', () => {
  it('schedules the next attempt at a whole millisecond, whatever the jitter', () => {
    const item = { attempts: 1, maxAttempts: 5 } as QueueItem;
    const outcome = decideOutcome(
      item,
      classify(transientError()),
      { delayMs: () => 1234.5678, maxDelayMs: 10_000 },
      1_000_000,
    );
    expect(outcome).toMatchObject({ action: 'reschedule', delayMs: 1235, nextAttemptAtMs: 1_001_235 });
  });
});
