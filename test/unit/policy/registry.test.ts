import { describe, expect, it } from 'vitest';
import { FakeClock, InvalidOptionError, PolicyRegistry, pipeline, retry } from '../../../src/index.js';
import { transientError } from '../../helpers.js';

const fail = () => Promise.reject(transientError());

describe('PolicyRegistry', () => {
  it('hands out one breaker per name, shared by every caller', () => {
    const registry = new PolicyRegistry();
    const first = registry.circuitBreaker('walrus', { consecutiveFailures: 3 });
    expect(registry.circuitBreaker('walrus')).toBe(first);
    expect(first.name).toBe('walrus');
    expect(registry.names()).toEqual(['walrus']);
  });

  it('reports the health of every breaker, including those inside registered pipelines', async () => {
    const clock = new FakeClock();
    const registry = new PolicyRegistry();
    const walrus = registry.circuitBreaker('walrus', { consecutiveFailures: 2, clock });
    const sui = registry.circuitBreaker('sui', { clock });
    registry.set('walrus-calls', pipeline(retry({ maxAttempts: 1 }), walrus));
    await walrus.execute(fail).catch(() => {});
    await walrus.execute(fail).catch(() => {});
    await sui.execute(async () => 1);
    const health = registry.health();
    expect(health.breakers.map((breaker) => [breaker.name, breaker.state, breaker.failureRate])).toEqual([
      ['walrus', 'open', 1],
      ['sui', 'closed', 0],
    ]);
    expect(health.breakers[0]?.lastTransitions[0]).toMatchObject({ from: 'closed', to: 'open' });
  });

  it('resets one breaker by name (or through its pipeline), or all of them and the budgets', async () => {
    const registry = new PolicyRegistry();
    const walrus = registry.circuitBreaker('walrus', { consecutiveFailures: 1 });
    const sui = registry.circuitBreaker('sui', { consecutiveFailures: 1 });
    const budget = registry.retryBudget('shared', { maxTokens: 2 });
    registry.set('calls', pipeline(walrus));
    for (const breaker of [walrus, sui]) await breaker.execute(fail).catch(() => {});
    budget.recordFailure();
    expect(registry.reset('calls')).toEqual(['walrus']);
    expect([walrus.state, sui.state]).toEqual(['closed', 'open']);
    expect(registry.reset()).toEqual(['walrus', 'sui']);
    expect(sui.state).toBe('closed');
    expect(budget.tokens).toBe(2);
  });

  it('names what it knows when asked for an unknown policy', () => {
    const registry = new PolicyRegistry();
    registry.circuitBreaker('walrus');
    expect(() => registry.reset('wlarus')).toThrow(InvalidOptionError);
    expect(() => registry.reset('wlarus')).toThrow("no policy named 'wlarus' (known: walrus)");
    registry.set('plain', retry());
    expect(() => registry.circuitBreaker('plain')).toThrow(/already registered and is not a breaker/);
  });
});
