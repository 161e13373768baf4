/** What every policy is: a value that runs a function under its rule. */

/** What a policy hands to the function it runs. */
export interface PolicyContext {
  /** Aborts when the caller cancels or a timeout fires. Pass it on to fetch, sockets and waits. */
  readonly signal: AbortSignal;
  /** 1 for the first try; set by `retry` (and `hedge`), 1 everywhere else. */
  readonly attempt: number;
}

export interface ExecuteOptions {
  /** Cancels the call, and any wait inside it. */
  signal?: AbortSignal;
}

export type PolicyFunction<T> = (context: PolicyContext) => T | PromiseLike<T>;

/**
 * A policy runs functions under its rule. `Alternative` is what it may return instead of the function's
 * own result (only `fallback` has one); a pipeline's type carries the union of its policies' alternatives.
 */
export interface Policy<Alternative = never> {
  /** Runs `fn` under this policy. */
  execute<T>(fn: PolicyFunction<T>, options?: ExecuteOptions): Promise<T | Alternative>;
  /** Type-level only, never set: lets `pipeline()` infer the union of its policies' alternatives. */
  readonly alternativeType?: Alternative;
}

/** What a policy may return instead of the function's result (`never` for all but fallback). */
export type AlternativeOf<P> = P extends { readonly alternativeType: infer A } ? A : never;

/** Options shared by the policies that need a clock. */
export interface ClockOption {
  /** Where time comes from. Default the real clock; tests pass a FakeClock. */
  clock?: import('../core/clock.js').Clock;
}

/** Calls `fn` and always returns a promise: a synchronous throw becomes a rejection. */
export function invoke<T>(fn: PolicyFunction<T>, context: PolicyContext): Promise<T> {
  try {
    return Promise.resolve(fn(context));
  } catch (error) {
    return Promise.reject(error);
  }
}
