import type { FailureKind } from './failure.js';
import { formatDuration } from './format.js';

/** Stable codes: match on `error.code`, never on the message. */
export type LifelineErrorCode =
  | 'CIRCUIT_OPEN'
  | 'TIMEOUT'
  | 'BULKHEAD_FULL'
  | 'RATE_LIMITED'
  | 'BUDGET_EXHAUSTED'
  | 'RETRY_AFTER_TOO_LONG'
  | 'BODY_NOT_REPLAYABLE'
  | 'STORE_CORRUPT'
  | 'STORE_FOREIGN'
  | 'STORE_TOO_NEW'
  | 'CHECKSUM_MISMATCH'
  | 'TUS_PROTOCOL'
  | 'SOURCE_MISSING'
  | 'SOURCE_CHANGED'
  | 'INVALID_OPTION';

/** How a lifeline error is classified; `classify()` reads this instead of guessing. */
export interface FailureTraits {
  kind: FailureKind;
  retryable: boolean;
  serviceFault: boolean;
  retryAfterMs?: number;
}

/** Base of every error lifeline raises. `code` is stable; `message` says what happened and what to do. */
export class LifelineError extends Error {
  readonly code: LifelineErrorCode;
  readonly traits: FailureTraits;

  constructor(
    code: LifelineErrorCode,
    message: string,
    traits: FailureTraits,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LifelineError';
    this.code = code;
    this.traits = traits;
  }
}

/** A circuit breaker refused the call without trying it. */
export class CircuitOpenError extends LifelineError {
  readonly circuitName: string;
  /** Time until the breaker lets a trial call through (0 while a half-open trial is already running). */
  readonly retryAfterMs: number;

  constructor(circuitName: string, retryAfterMs: number, reason: string) {
    const when =
      retryAfterMs > 0 ? `next trial call in ${formatDuration(retryAfterMs)}` : 'a trial call is running';
    super('CIRCUIT_OPEN', `circuit '${circuitName}' is open (${reason}); calls fail fast — ${when}`, {
      kind: 'circuit-open',
      retryable: true,
      serviceFault: false,
      retryAfterMs,
    });
    this.name = 'CircuitOpenError';
    this.circuitName = circuitName;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The call did not finish within its time limit. */
export class TimeoutError extends LifelineError {
  readonly timeoutMs: number;

  /** `message` replaces the default "<what> timed out after <duration>". */
  constructor(timeoutMs: number, what = 'call', message?: string) {
    super('TIMEOUT', message ?? `${what} timed out after ${formatDuration(timeoutMs)}`, {
      kind: 'timeout',
      retryable: true,
      serviceFault: true,
    });
    this.name = 'TimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** A bulkhead had no free slot and no room in its queue. */
export class BulkheadFullError extends LifelineError {
  readonly maxConcurrent: number;
  readonly maxQueued: number;

  constructor(maxConcurrent: number, maxQueued: number) {
    super(
      'BULKHEAD_FULL',
      `bulkhead full: ${maxConcurrent} running and ${maxQueued} queued; shed load, or raise maxConcurrent or maxQueued`,
      { kind: 'transient', retryable: true, serviceFault: false },
    );
    this.name = 'BulkheadFullError';
    this.maxConcurrent = maxConcurrent;
    this.maxQueued = maxQueued;
  }
}

/** A local rate limiter had no token for the call. */
export class RateLimitedError extends LifelineError {
  readonly retryAfterMs: number;

  constructor(retryAfterMs: number, reason = 'rate limit reached') {
    super('RATE_LIMITED', `${reason}; next call allowed in ${formatDuration(retryAfterMs)}`, {
      kind: 'rate-limited',
      retryable: true,
      serviceFault: false,
      retryAfterMs,
    });
    this.name = 'RateLimitedError';
    this.retryAfterMs = retryAfterMs;
  }
}

/** The retry budget refused a retry: failures are widespread, and retrying would multiply the load. */
export class BudgetExhaustedError extends LifelineError {
  constructor(tokens: number, maxTokens: number, cause: unknown) {
    super(
      'BUDGET_EXHAUSTED',
      `retry budget exhausted (${tokens.toFixed(1)} of ${maxTokens} tokens; retries need more than ${maxTokens / 2}): ` +
        'failures are widespread, so this call is not retried to avoid multiplying the load',
      { kind: 'transient', retryable: true, serviceFault: false },
      { cause },
    );
    this.name = 'BudgetExhaustedError';
  }
}

/** The server asked for a wait longer than the caller allows; failing now beats hanging. */
export class RetryAfterTooLongError extends LifelineError {
  readonly retryAfterMs: number;
  readonly maxRetryAfterMs: number;

  constructor(retryAfterMs: number, maxRetryAfterMs: number, cause: unknown) {
    super(
      'RETRY_AFTER_TOO_LONG',
      `the server asked to wait ${formatDuration(retryAfterMs)} before retrying, longer than maxRetryAfterMs ` +
        `(${formatDuration(maxRetryAfterMs)}); giving up now — queue the work or raise maxRetryAfterMs`,
      { kind: 'rate-limited', retryable: true, serviceFault: false, retryAfterMs },
      { cause },
    );
    this.name = 'RetryAfterTooLongError';
    this.retryAfterMs = retryAfterMs;
    this.maxRetryAfterMs = maxRetryAfterMs;
  }
}

/** A request failed and could be retried, but its body was a one-shot stream that the first try consumed. */
export class BodyNotReplayableError extends LifelineError {
  constructor(cause: unknown) {
    super(
      'BODY_NOT_REPLAYABLE',
      'the request failed and would be retried, but its body is a stream that the first attempt consumed; ' +
        'pass the body as a string, Uint8Array, ArrayBuffer or Blob to make the request retryable',
      { kind: 'permanent', retryable: false, serviceFault: false },
      { cause },
    );
    this.name = 'BodyNotReplayableError';
  }
}

/**
 * A store file cannot be used: corrupt, someone else's, or written by a newer lifeline. The file is
 * always left untouched; the message says which file and what to do.
 */
export class StoreError extends LifelineError {
  readonly path: string;

  constructor(
    code: 'STORE_CORRUPT' | 'STORE_FOREIGN' | 'STORE_TOO_NEW',
    path: string,
    message: string,
    cause?: unknown,
  ) {
    super(code, message, { kind: 'permanent', retryable: false, serviceFault: false }, { cause });
    this.name = 'StoreError';
    this.path = path;
  }
}

/** An option was out of range. Thrown at construction, so a bad configuration fails before any call. */
export class InvalidOptionError extends LifelineError {
  constructor(message: string) {
    super('INVALID_OPTION', message, { kind: 'permanent', retryable: false, serviceFault: false });
    this.name = 'InvalidOptionError';
  }
}
