import { InvalidOptionError } from '../core/errors.js';
import { CircuitBreaker, type CircuitBreakerOptions, type CircuitSnapshot } from './circuit-breaker.js';
import { Pipeline } from './pipeline.js';
import type { Policy } from './policy.js';
import { RetryBudget, type RetryBudgetOptions, type RetryBudgetSnapshot } from './retry-budget.js';

export interface RegistryHealth {
  breakers: CircuitSnapshot[];
  budgets: Array<{ name: string } & RetryBudgetSnapshot>;
}

/**
 * Named policies ("walrus", "sui"), so every part of a program that talks to a service shares its breaker
 * and budget, and one health view shows them all.
 */
export class PolicyRegistry {
  private readonly policies = new Map<string, Policy<unknown>>();
  private readonly budgets = new Map<string, RetryBudget>();

  /** Registers a policy under a name (replacing any before it) and returns it. */
  set<P extends Policy<unknown>>(name: string, policy: P): P {
    if (!name) throw new InvalidOptionError('registry: a policy needs a non-empty name');
    this.policies.set(name, policy);
    return policy;
  }

  get(name: string): Policy<unknown> | undefined {
    return this.policies.get(name);
  }

  names(): string[] {
    return [...this.policies.keys()];
  }

  /** The breaker with this name, created with `options` the first time it is asked for. */
  circuitBreaker(name: string, options: Omit<CircuitBreakerOptions, 'name'> = {}): CircuitBreaker {
    const existing = this.policies.get(name);
    if (existing instanceof CircuitBreaker) return existing;
    if (existing)
      throw new InvalidOptionError(`registry: '${name}' is already registered and is not a breaker`);
    return this.set(name, new CircuitBreaker({ ...options, name }));
  }

  /** The retry budget with this name, created with `options` the first time it is asked for. */
  retryBudget(name: string, options?: RetryBudgetOptions): RetryBudget {
    let budget = this.budgets.get(name);
    if (!budget) {
      budget = new RetryBudget(options);
      this.budgets.set(name, budget);
    }
    return budget;
  }

  /** Every breaker registered, directly or inside a registered pipeline, once each. */
  breakers(): CircuitBreaker[] {
    const found = new Set<CircuitBreaker>();
    const visit = (policy: Policy<unknown>) => {
      if (policy instanceof CircuitBreaker) found.add(policy);
      else if (policy instanceof Pipeline) for (const inner of policy.policies) visit(inner);
    };
    for (const policy of this.policies.values()) visit(policy);
    return [...found];
  }

  health(): RegistryHealth {
    return {
      breakers: this.breakers().map((breaker) => breaker.snapshot()),
      budgets: [...this.budgets].map(([name, budget]) => ({ name, ...budget.snapshot() })),
    };
  }

  /**
   * Closes the named breaker (or every breaker inside the named pipeline), or, with no name, every breaker
   * and budget. Returns the names of the breakers reset; an unknown name is an error.
   */
  reset(name?: string): string[] {
    if (name === undefined) {
      for (const budget of this.budgets.values()) budget.reset();
      return this.resetAll(this.breakers());
    }
    const policy = this.policies.get(name);
    if (!policy) {
      const known = this.names().join(', ') || 'none';
      throw new InvalidOptionError(`registry: no policy named '${name}' (known: ${known})`);
    }
    const breakers =
      policy instanceof CircuitBreaker ? [policy] : policy instanceof Pipeline ? innerBreakers(policy) : [];
    this.budgets.get(name)?.reset();
    return this.resetAll(breakers);
  }

  private resetAll(breakers: CircuitBreaker[]): string[] {
    for (const breaker of breakers) breaker.reset();
    return breakers.map((breaker) => breaker.name);
  }
}

function innerBreakers(pipeline: Pipeline<unknown>): CircuitBreaker[] {
  return pipeline.policies.flatMap((policy) =>
    policy instanceof CircuitBreaker ? [policy] : policy instanceof Pipeline ? innerBreakers(policy) : [],
  );
}

/** The registry used when none is passed. */
export const defaultRegistry = new PolicyRegistry();
