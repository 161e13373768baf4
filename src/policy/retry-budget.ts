import { Emitter } from '../core/events.js';
import { requireNumber } from '../core/validate.js';

export interface RetryBudgetOptions {
  /** Size of the bucket; it starts full. Default 100. */
  maxTokens?: number;
  /** Tokens a success puts back. Default 0.1: once failing widely, ten successes earn one retry. */
  tokenRatio?: number;
}

export interface RetryBudgetSnapshot {
  tokens: number;
  maxTokens: number;
  /** Whether a retry would be allowed now. */
  retriesAllowed: boolean;
}

export interface RetryBudgetEvents {
  /** The bucket fell to half: retries stop until successes refill it. */
  exhausted: RetryBudgetSnapshot;
  /** The bucket rose above half again. */
  replenished: RetryBudgetSnapshot;
}

/**
 * A retry budget in the style of gRPC retry throttling (and the AWS SDK's retry quota): one bucket shared
 * by every retry policy that talks to a service. Each retryable failure drains one token, each success
 * refills `tokenRatio`; retries are allowed only while the bucket is more than half full. Under a wide
 * outage the fleet's retries stop after maxTokens/2 failures, so retrying cannot multiply the load on a
 * service that is already overloaded; in steady state retries add at most about `tokenRatio` of the
 * successful traffic.
 *
 * It is not a policy that wraps calls: hand the same budget to every `retry({ budget })` that should share it.
 */
export class RetryBudget extends Emitter<RetryBudgetEvents> {
  readonly maxTokens: number;
  readonly tokenRatio: number;
  private tokenCount: number;

  constructor(options: RetryBudgetOptions = {}) {
    super();
    this.maxTokens = requireNumber('retryBudget', 'maxTokens', options.maxTokens ?? 100, 1);
    this.tokenRatio = requireNumber('retryBudget', 'tokenRatio', options.tokenRatio ?? 0.1, 0);
    this.tokenCount = this.maxTokens;
  }

  get tokens(): number {
    return this.tokenCount;
  }

  /** Whether a retry may go ahead now. */
  get retriesAllowed(): boolean {
    return this.tokenCount > this.maxTokens / 2;
  }

  recordFailure(): void {
    const before = this.retriesAllowed;
    this.tokenCount = Math.max(0, this.tokenCount - 1);
    if (before && !this.retriesAllowed) this.emit('exhausted', this.snapshot());
  }

  recordSuccess(): void {
    if (this.tokenCount === this.maxTokens) return;
    const before = this.retriesAllowed;
    this.tokenCount = Math.min(this.maxTokens, this.tokenCount + this.tokenRatio);
    if (!before && this.retriesAllowed) this.emit('replenished', this.snapshot());
  }

  /** Refill the bucket (after an incident is over, or from `health reset`). */
  reset(): void {
    this.tokenCount = this.maxTokens;
  }

  snapshot(): RetryBudgetSnapshot {
    return { tokens: this.tokenCount, maxTokens: this.maxTokens, retriesAllowed: this.retriesAllowed };
  }
}

export function retryBudget(options?: RetryBudgetOptions): RetryBudget {
  return new RetryBudget(options);
}
