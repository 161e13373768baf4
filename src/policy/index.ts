export {
  type Backoff,
  type ConstantBackoffOptions,
  constantBackoff,
  type ExponentialBackoffOptions,
  exponentialBackoff,
  type Jitter,
} from './backoff.js';
export { Bulkhead, type BulkheadEvents, type BulkheadOptions, bulkhead } from './bulkhead.js';
export {
  CircuitBreaker,
  type CircuitBreakerEvents,
  type CircuitBreakerOptions,
  type CircuitSnapshot,
  type CircuitState,
  circuitBreaker,
  type FailureRateOptions,
  type StateChange,
} from './circuit-breaker.js';
export { type FallbackEvents, type FallbackOptions, FallbackPolicy, fallback } from './fallback.js';
export { type HedgeEvents, type HedgeOptions, HedgePolicy, hedge } from './hedge.js';
export { Pipeline, type PipelineEvents, pipeline } from './pipeline.js';
export type { ExecuteOptions, Policy, PolicyContext, PolicyFunction } from './policy.js';
export { RateLimit, type RateLimitEvents, type RateLimitOptions, rateLimit } from './rate-limit.js';
export { defaultRegistry, PolicyRegistry, type RegistryHealth } from './registry.js';
export {
  type GiveUpEvent,
  type GiveUpReason,
  type RetryEvent,
  type RetryEvents,
  type RetryOptions,
  RetryPolicy,
  type RetrySuccessEvent,
  retry,
} from './retry.js';
export { RetryBudget, type RetryBudgetEvents, type RetryBudgetOptions, retryBudget } from './retry-budget.js';
export { formatGiveUp, formatRetry, formatSuccess } from './retry-format.js';
export { type TimeoutEvents, type TimeoutOptions, TimeoutPolicy, timeout } from './timeout.js';
