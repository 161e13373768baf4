import { type Classifier, classify as defaultClassify } from '../core/classify.js';
import { type Clock, realClock } from '../core/clock.js';
import { BudgetExhaustedError, RetryAfterTooLongError } from '../core/errors.js';
import type { Failure } from '../core/failure.js';
import { requireInteger, requireNumber } from '../core/validate.js';
import { type Backoff, exponentialBackoff } from './backoff.js';
import { AttemptContext, type BaseContext } from './context.js';
import { type Done, LayeredPolicy, type Next } from './layer.js';
import type { ClockOption } from './policy.js';
import type { RetryBudget } from './retry-budget.js';

export interface RetryOptions extends ClockOption {
  /** Total tries, the first included. Default 3. */
  maxAttempts?: number;
  /** No retry starts once this much time has passed since the first try (or would pass during the wait). */
  maxElapsedMs?: number;
  /** Default `exponentialBackoff()`: 200 ms doubling to 30 s, full jitter. */
  backoff?: Backoff;
  /** Default the built-in `classify`. */
  classify?: Classifier;
  /** Decides whether to retry; default: `failure.retryable`. */
  shouldRetry?: (failure: Failure, attempt: number) => boolean;
  /**
   * A server-named wait (Retry-After, or a breaker's time until half-open) is honoured exactly, without
   * jitter, up to this. A longer one fails at once instead of hanging: with RETRY_AFTER_TOO_LONG, or with
   * the breaker's own CIRCUIT_OPEN error. Default 60 s.
   */
  maxRetryAfterMs?: number;
  /** A shared retry budget: when it is exhausted, retries stop (BUDGET_EXHAUSTED). */
  budget?: RetryBudget;
}

export type GiveUpReason =
  | 'not-retryable'
  | 'max-attempts'
  | 'max-elapsed'
  | 'budget-exhausted'
  | 'retry-after-too-long'
  | 'cancelled';

export interface RetryEvent {
  /** The attempt that failed (1 = the first try). */
  attempt: number;
  /** The wait before the next attempt. */
  delayMs: number;
  /** Whether the wait was named by the server (or a breaker) rather than computed by the backoff. */
  serverNamedDelay: boolean;
  attemptsRemaining: number;
  maxAttempts: number;
  failure: Failure;
  error: unknown;
}

export interface GiveUpEvent {
  attempts: number;
  reason: GiveUpReason;
  failure: Failure;
  error: unknown;
  /** 0 when nobody asked for timing (no listener and no maxElapsedMs when the call began). */
  elapsedMs: number;
}

export interface RetrySuccessEvent {
  attempts: number;
  elapsedMs: number;
}

export interface RetryEvents {
  retry: RetryEvent;
  giveUp: GiveUpEvent;
  success: RetrySuccessEvent;
}

/** Retries what `classify` says is retryable, with backoff, honouring server-named waits. */
export class RetryPolicy extends LayeredPolicy<RetryEvents> {
  readonly maxAttempts: number;
  readonly maxElapsedMs: number;
  readonly maxRetryAfterMs: number;
  private readonly backoff: Backoff;
  private readonly classify: Classifier;
  private readonly shouldRetry: (failure: Failure, attempt: number) => boolean;
  private readonly budget: RetryBudget | undefined;
  private readonly clock: Clock;

  constructor(options: RetryOptions = {}) {
    super();
    this.maxAttempts = requireInteger('retry', 'maxAttempts', options.maxAttempts ?? 3, 1);
    this.maxElapsedMs = requireNumber('retry', 'maxElapsedMs', options.maxElapsedMs ?? Infinity, 0, {
      allowInfinity: true,
    });
    this.maxRetryAfterMs = requireNumber('retry', 'maxRetryAfterMs', options.maxRetryAfterMs ?? 60_000, 0, {
      allowInfinity: true,
    });
    this.backoff = options.backoff ?? exponentialBackoff();
    this.classify = options.classify ?? defaultClassify;
    this.shouldRetry = options.shouldRetry ?? ((failure) => failure.retryable);
    this.budget = options.budget;
    this.clock = options.clock ?? realClock;
  }

  run(next: Next, context: BaseContext, done: Done): void {
    // Reading the clock costs; only do it when someone needs the elapsed time.
    const timed = this.maxElapsedMs !== Infinity || this.listening('success') || this.listening('giveUp');
    new RetryRun(this, next, context, done, timed ? this.clock.now() : undefined).attempt(1);
  }

  /** @internal Called by a run when an attempt succeeded. */
  succeeded(attempts: number, startMs: number | undefined): void {
    this.budget?.recordSuccess();
    if (startMs !== undefined && this.listening('success')) {
      this.emit('success', { attempts, elapsedMs: this.clock.now() - startMs });
    }
  }

  /** @internal Sleeps between attempts through the clock, cancellable by the caller. */
  wait(delayMs: number, signal: AbortSignal): Promise<void> {
    return this.clock.sleep(delayMs, signal);
  }

  /** @internal Reports the end of a call that did not succeed. */
  gaveUp(
    attempts: number,
    reason: GiveUpReason,
    failure: Failure,
    error: unknown,
    startMs: number | undefined,
  ): void {
    if (!this.listening('giveUp')) return;
    const elapsedMs = startMs === undefined ? 0 : this.clock.now() - startMs;
    this.emit('giveUp', { attempts, reason, failure, error, elapsedMs });
  }

  /** @internal The caller cancelled during the wait between attempts. */
  cancelledWhileWaiting(attempts: number, reason: unknown, startMs: number | undefined): void {
    this.gaveUp(attempts, 'cancelled', this.classify(reason), reason, startMs);
  }

  /** @internal Returns the wait before the next attempt, or throws what the caller should see. */
  planRetry(error: unknown, attempt: number, signal: AbortSignal, startMs: number | undefined): number {
    const failure = this.classify(error);
    const giveUp = (reason: GiveUpReason, thrown: unknown = error): never => {
      this.gaveUp(attempt, reason, failure, error, startMs);
      throw thrown;
    };

    if (signal.aborted) return giveUp('cancelled');
    if (!this.shouldRetry(failure, attempt)) return giveUp('not-retryable');
    this.budget?.recordFailure();
    if (attempt >= this.maxAttempts) return giveUp('max-attempts');

    const serverNamedDelay = failure.retryAfterMs !== undefined && failure.retryAfterMs > 0;
    const delayMs = serverNamedDelay ? (failure.retryAfterMs as number) : this.backoff.delayMs(attempt);
    if (serverNamedDelay && delayMs > this.maxRetryAfterMs) {
      // An open breaker's error already says when its next trial is; it was no server's request to wait.
      const thrown =
        failure.kind === 'circuit-open'
          ? error
          : new RetryAfterTooLongError(delayMs, this.maxRetryAfterMs, error);
      return giveUp('retry-after-too-long', thrown);
    }
    if (startMs !== undefined && this.clock.now() - startMs + delayMs > this.maxElapsedMs) {
      return giveUp('max-elapsed');
    }
    if (this.budget && !this.budget.retriesAllowed) {
      const { tokens, maxTokens } = this.budget;
      return giveUp('budget-exhausted', new BudgetExhaustedError(tokens, maxTokens, error));
    }
    if (this.listening('retry')) {
      const attemptsRemaining = this.maxAttempts - attempt;
      this.emit('retry', {
        attempt,
        delayMs,
        serverNamedDelay,
        attemptsRemaining,
        maxAttempts: this.maxAttempts,
        failure,
        error,
      });
    }
    return delayMs;
  }
}

/** One call under a retry policy: its attempts, one after another. */
class RetryRun {
  private attemptNumber = 0;
  private readonly onOutcome: Done = (failed, result) => {
    if (!failed) {
      this.policy.succeeded(this.attemptNumber, this.startMs);
      this.done(false, result);
      return;
    }
    let delayMs: number;
    try {
      delayMs = this.policy.planRetry(result, this.attemptNumber, this.context.signal, this.startMs);
    } catch (thrown) {
      this.done(true, thrown);
      return;
    }
    // A zero delay is not a timer wait: Node clamps setTimeout to ≥ 1 ms.
    if (delayMs <= 0) {
      this.attempt(this.attemptNumber + 1);
      return;
    }
    this.policy.wait(delayMs, this.context.signal).then(
      () => this.attempt(this.attemptNumber + 1),
      (reason) => {
        this.policy.cancelledWhileWaiting(this.attemptNumber, reason, this.startMs);
        this.done(true, reason);
      },
    );
  };

  constructor(
    private readonly policy: RetryPolicy,
    private readonly next: Next,
    private readonly context: BaseContext,
    private readonly done: Done,
    private readonly startMs: number | undefined,
  ) {}

  attempt(attempt: number): void {
    this.attemptNumber = attempt;
    const context =
      attempt === this.context.attempt ? this.context : new AttemptContext(this.context, attempt);
    this.next(context, this.onOutcome);
  }
}

export function retry(options?: RetryOptions): RetryPolicy {
  return new RetryPolicy(options);
}
