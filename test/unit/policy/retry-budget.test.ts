import { describe, expect, it } from 'vitest';
import { constantBackoff, retry, retryBudget } from '../../../src/index.js';
import { permanentError, transientError } from '../../helpers.js';

describe('retryBudget', () => {
  it('allows retries while more than half full; failures drain one token, successes refill tokenRatio', () => {
    const budget = retryBudget({ maxTokens: 10, tokenRatio: 0.5 });
    const events: string[] = [];
    budget.on('exhausted', () => events.push('exhausted'));
    budget.on('replenished', () => events.push('replenished'));
    for (let i = 0; i < 4; i++) budget.recordFailure();
    expect(budget.tokens).toBe(6);
    expect(budget.retriesAllowed).toBe(true);
    budget.recordFailure();
    expect(budget.retriesAllowed).toBe(false);
    budget.recordSuccess();
    expect(budget.tokens).toBe(5.5);
    expect(budget.retriesAllowed).toBe(true);
    expect(events).toEqual(['exhausted', 'replenished']);
  });

  it('never goes below zero or above the maximum', () => {
    const budget = retryBudget({ maxTokens: 2 });
    for (let i = 0; i < 10; i++) budget.recordFailure();
    expect(budget.tokens).toBe(0);
    for (let i = 0; i < 100; i++) budget.recordSuccess();
    expect(budget.tokens).toBe(2);
  });

  it('bounds a fleet of retry policies under a wide outage: total attempts stay near the calls made', async () => {
    const budget = retryBudget({ maxTokens: 20, tokenRatio: 0.1 });
    const policies = Array.from({ length: 5 }, () =>
      retry({ maxAttempts: 5, backoff: constantBackoff(0), budget }),
    );
    let attempts = 0;
    const failing = async () => {
      attempts++;
      throw transientError();
    };
    for (let call = 0; call < 100; call++)
      await (policies[call % 5]?.execute(failing).catch(() => {}) ?? Promise.resolve());
    // Without a budget: 500 attempts. With it, retries stop after maxTokens/2 failures.
    expect(attempts).toBeLessThan(115);
    expect(attempts).toBeGreaterThanOrEqual(100);
  });

  it('permanent failures do not drain it', async () => {
    const budget = retryBudget({ maxTokens: 4 });
    const policy = retry({ maxAttempts: 3, backoff: constantBackoff(0), budget });
    for (let i = 0; i < 10; i++)
      await policy.execute(async () => Promise.reject(permanentError())).catch(() => {});
    expect(budget.tokens).toBe(4);
  });

  it('reset refills it', () => {
    const budget = retryBudget({ maxTokens: 4 });
    for (let i = 0; i < 4; i++) budget.recordFailure();
    budget.reset();
    expect(budget.snapshot()).toEqual({ tokens: 4, maxTokens: 4, retriesAllowed: true });
  });
});
