import type { Classifier } from '../core/classify.js';
import type { Clock } from '../core/clock.js';
import type { CircuitBreaker } from '../policy/circuit-breaker.js';
import type { Pipeline } from '../policy/pipeline.js';
import type { PolicyRegistry } from '../policy/registry.js';
import { TimeoutPolicy } from '../policy/timeout.js';
import type { ResilientFetchOptions } from './options.js';
import { PushbackGate } from './pushback-gate.js';

/** Distinct settings whose pipelines a host keeps. */
const MAX_SHARED_PIPELINES = 16;

/** The policies every request to one host shares: its breaker, its pushback, its timeouts. */

export class HostPolicies {
  readonly breaker: CircuitBreaker | undefined;
  readonly gate: PushbackGate;
  private readonly timeouts = new Map<number, TimeoutPolicy>();
  private readonly pipelines = new Map<string, Pipeline>();

  constructor(
    readonly host: string,
    private readonly clock: Clock,
    options: {
      registry: PolicyRegistry;
      breaker: ResilientFetchOptions['circuitBreaker'];
      classify: Classifier;
      maxRetryAfterMs: number;
    },
  ) {
    this.gate = new PushbackGate(host, options.maxRetryAfterMs, clock);
    this.breaker =
      options.breaker === false
        ? undefined
        : options.registry.circuitBreaker(`http ${host}`, {
            ...options.breaker, // the breaker's own defaults otherwise (5 in a row, 30 s)
            classify: options.classify,
            clock,
          });
  }

  /**
   * The shared pipeline for requests of this host with the same settings (`key`). Past a few keys (a caller
   * giving every request its own timeout) each request gets its own: the cache does not grow without end.
   */
  pipeline(key: string, build: () => Pipeline): Pipeline {
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      pipeline = build();
      if (this.pipelines.size < MAX_SHARED_PIPELINES) this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  /** One timeout policy per limit in use, so calls with the same limit share a timer. */
  timeout(timeoutMs: number): TimeoutPolicy {
    let policy = this.timeouts.get(timeoutMs);
    if (!policy) {
      policy = new TimeoutPolicy({ timeoutMs, clock: this.clock, what: `request to ${this.host}` });
      this.timeouts.set(timeoutMs, policy);
    }
    return policy;
  }
}
