import type { BaseContext } from './context.js';
import { contextFrom } from './context.js';
import {
  asLayer,
  chain,
  type Done,
  functionStep,
  type Layer,
  LayeredPolicy,
  type Next,
  runLayers,
} from './layer.js';
import type { AlternativeOf, ExecuteOptions, Policy, PolicyFunction } from './policy.js';

/**
 * Events that describe calls: emitted by pipelines, and by anything else that runs calls (resilientFetch),
 * so a FailureLog can attach to either. `operation`, when set, names what the call was doing.
 */
export interface PipelineEvents {
  /** The function itself failed on one attempt (it may still be retried). */
  attemptFailure: { error: unknown; attempt: number; operation?: string };
  /**
   * The whole call failed with the error the caller sees. `fromAttempt` tells whether that error was
   * already reported by `attemptFailure`; it is false for refusals (open breaker, full bulkhead, budget).
   */
  failure: { error: unknown; fromAttempt: boolean; operation?: string };
  success: { attempt: number; operation?: string };
}

/**
 * Policies composed into one, outermost first: `pipeline(retry, circuitBreaker, timeout)` retries calls
 * that the breaker lets through, each under the timeout. A pipeline is a policy, so pipelines nest.
 * Its events let a failure log record every call without touching the function.
 */
export class Pipeline<Alternative = never> extends LayeredPolicy<PipelineEvents, Alternative> {
  readonly policies: readonly Policy<unknown>[];
  private readonly layers: readonly Layer[];

  constructor(policies: readonly Policy<unknown>[]) {
    super();
    this.policies = policies;
    this.layers = policies.map(asLayer);
  }

  override execute<T>(fn: PolicyFunction<T>, options?: ExecuteOptions): Promise<T | Alternative> {
    const observed =
      this.listening('attemptFailure') || this.listening('failure') || this.listening('success');
    const context = contextFrom(options);
    if (!observed) return runLayers(this.layers, functionStep(fn), context) as Promise<T | Alternative>;
    return this.observe(fn, context);
  }

  run(next: Next, context: BaseContext, done: Done): void {
    chain(this.layers, 0, next)(context, done);
  }

  private observe<T>(fn: PolicyFunction<T>, context: BaseContext): Promise<T | Alternative> {
    let lastAttemptError: unknown;
    let lastAttempt = 1;
    const call = functionStep(fn);
    const watched: Next = (inner, done) => {
      lastAttempt = inner.attempt;
      call(inner, (failed, result) => {
        if (failed) {
          lastAttemptError = result;
          this.emit('attemptFailure', { error: result, attempt: inner.attempt });
        }
        done(failed, result);
      });
    };
    return runLayers(this.layers, watched, context).then(
      (value) => {
        this.emit('success', { attempt: lastAttempt });
        return value as T | Alternative;
      },
      (error) => {
        this.emit('failure', { error, fromAttempt: error === lastAttemptError });
        throw error;
      },
    );
  }
}

export function pipeline<Policies extends Policy<unknown>[]>(
  ...policies: Policies
): Pipeline<AlternativeOf<Policies[number]>> {
  return new Pipeline(policies);
}
