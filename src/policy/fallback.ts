import { type Classifier, classify as defaultClassify } from '../core/classify.js';
import type { Failure } from '../core/failure.js';
import type { BaseContext } from './context.js';
import { type Done, LayeredPolicy, type Next } from './layer.js';

export interface FallbackOptions<R> {
  /** What to return instead: a value, or a function of the failure (it may be async, and may throw). */
  fallback: R | ((failure: Failure, error: unknown) => R | PromiseLike<R>);
  /** Which failures the fallback covers. Default: every failure except a cancellation. */
  shouldHandle?: (failure: Failure) => boolean;
  classify?: Classifier;
}

export interface FallbackEvents {
  fallback: { failure: Failure; error: unknown };
}

/** Returns a substitute (a cached value, a default) when the call fails. */
export class FallbackPolicy<R> extends LayeredPolicy<FallbackEvents, R> {
  private readonly options: FallbackOptions<R>;
  private readonly classify: Classifier;
  private readonly shouldHandle: (failure: Failure) => boolean;

  constructor(options: FallbackOptions<R>) {
    super();
    this.options = options;
    this.classify = options.classify ?? defaultClassify;
    this.shouldHandle = options.shouldHandle ?? ((failure) => failure.kind !== 'cancelled');
  }

  run(next: Next, context: BaseContext, done: Done): void {
    next(context, (failed, result) => {
      if (!failed) {
        done(false, result);
        return;
      }
      let substitute: R | PromiseLike<R>;
      try {
        const failure = this.classify(result);
        if (!this.shouldHandle(failure)) {
          done(true, result);
          return;
        }
        if (this.listening('fallback')) this.emit('fallback', { failure, error: result });
        const { fallback } = this.options;
        substitute =
          typeof fallback === 'function'
            ? (fallback as (failure: Failure, error: unknown) => R | PromiseLike<R>)(failure, result)
            : fallback;
      } catch (fallbackError) {
        done(true, fallbackError);
        return;
      }
      Promise.resolve(substitute).then(
        (value) => done(false, value),
        (error) => done(true, error),
      );
    });
  }
}

export function fallback<R>(
  fallbackValue: FallbackOptions<R>['fallback'],
  options: Omit<FallbackOptions<R>, 'fallback'> = {},
): FallbackPolicy<R> {
  return new FallbackPolicy({ ...options, fallback: fallbackValue });
}
