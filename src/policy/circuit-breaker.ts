import { type Classifier, classify as defaultClassify } from '../core/classify.js';
import { type Clock, realClock } from '../core/clock.js';
import { CircuitOpenError } from '../core/errors.js';
import type { Failure } from '../core/failure.js';
import { formatDuration, plural } from '../core/format.js';
import { requireInteger, requireNumber } from '../core/validate.js';
import { CountWindow, type OutcomeWindow, TimeWindow } from './breaker-window.js';
import type { BaseContext } from './context.js';
import { type Done, LayeredPolicy, type Next } from './layer.js';
import type { ClockOption } from './policy.js';

export type CircuitState = 'closed' | 'open' | 'half-open' | 'isolated';

export interface FailureRateOptions {
  /** Open when failures / calls in the window reach this (0 < threshold ≤ 1). */
  threshold: number;
  /** Do not judge a window with fewer calls than this. Default 10. */
  minimumCalls?: number;
  /** Count-based (`{ calls: 20 }`) or time-based (`{ durationMs: 30_000 }`). Default `{ calls: 20 }`. */
  window?: { calls: number } | { durationMs: number };
  /** A call slower than this counts as a failure in the window even when it succeeds. */
  slowCallMs?: number;
}

export interface CircuitBreakerOptions extends ClockOption {
  /** Shown in errors and health views. Default 'circuit'. */
  name?: string;
  /** Open after this many consecutive counted failures. Default 5, or off when only `failureRate` is given. */
  consecutiveFailures?: number;
  /** Open on a failure rate over a sliding window. Both triggers may be set; either opens. */
  failureRate?: FailureRateOptions;
  /** How long the breaker stays open before it lets trial calls through. Default 30 s. */
  resetTimeoutMs?: number;
  /** Each re-opening without a close in between multiplies the reset timeout by `factor`, up to the max. */
  resetTimeoutGrowth?: { factor: number; maxResetTimeoutMs: number };
  /** Trial calls let through at once while half-open. Default 1. */
  halfOpenMaxProbes?: number;
  /** Successful trial calls needed to close. Default 1. */
  halfOpenSuccessesToClose?: number;
  classify?: Classifier;
  /** Which failures count against the service. Default `failure.serviceFault`: a 404 never opens a breaker. */
  isServiceFault?: (failure: Failure) => boolean;
}

export interface StateChange {
  from: CircuitState;
  to: CircuitState;
  reason: string;
  atMs: number;
}

export interface CircuitSnapshot {
  name: string;
  state: CircuitState;
  /** failures / calls over the window (the last 100 calls when no failure-rate window is configured). */
  failureRate: number;
  calls: number;
  failures: number;
  consecutiveFailures: number;
  /** Time until trial calls are let through (0 unless open). */
  retryAfterMs: number;
  resetTimeoutMs: number;
  /** Why the breaker is in its state. */
  reason: string;
  lastTransitions: StateChange[];
}

export interface CircuitBreakerEvents {
  stateChange: StateChange;
  rejected: { state: CircuitState; retryAfterMs: number };
  /** A call failed; `counted` tells whether it counted against the service. */
  failure: { failure: Failure; counted: boolean; state: CircuitState };
  success: { state: CircuitState };
}

const TRANSITIONS_KEPT = 10;
const PROBE = 1;
const REPORTING_WINDOW_CALLS = 100;

/**
 * A circuit breaker: after enough failures that are the service's fault it opens and fails calls fast;
 * after `resetTimeoutMs` it lets a bounded number of trial calls through (half-open), and closes after
 * enough of them succeed. Open → half-open is decided lazily, on the next call or state read.
 */
export class CircuitBreaker extends LayeredPolicy<CircuitBreakerEvents> {
  readonly name: string;
  private readonly consecutiveLimit: number;
  private readonly rate: Required<Omit<FailureRateOptions, 'window' | 'slowCallMs'>> | undefined;
  private readonly slowCallMs: number | undefined;
  private readonly window: OutcomeWindow;
  private readonly baseResetMs: number;
  private readonly growth: { factor: number; maxResetTimeoutMs: number } | undefined;
  private readonly maxProbes: number;
  private readonly successesToClose: number;
  private readonly classify: Classifier;
  private readonly isServiceFault: (failure: Failure) => boolean;
  private readonly clock: Clock;

  private current: CircuitState = 'closed';
  private reasonText = 'healthy';
  /** Bumped on every transition: outcomes of calls admitted in an earlier state are ignored. */
  private epoch = 0;
  private consecutive = 0;
  private openUntilMs = 0;
  private opensInARow = 0;
  private currentResetMs: number;
  private probesInFlight = 0;
  private probeSuccesses = 0;
  private readonly transitions: StateChange[] = [];

  constructor(options: CircuitBreakerOptions = {}) {
    super();
    const owner = `circuitBreaker '${options.name ?? 'circuit'}'`;
    this.name = options.name ?? 'circuit';
    const defaultConsecutive = options.failureRate ? 0 : 5;
    this.consecutiveLimit = requireInteger(
      owner,
      'consecutiveFailures',
      options.consecutiveFailures ?? defaultConsecutive,
      0,
    );
    if (options.failureRate) {
      const { threshold, minimumCalls = 10, window = { calls: 20 }, slowCallMs } = options.failureRate;
      requireNumber(owner, 'failureRate.threshold', threshold, Number.MIN_VALUE, { max: 1 });
      requireInteger(owner, 'failureRate.minimumCalls', minimumCalls, 1);
      this.rate = { threshold, minimumCalls };
      this.window =
        'calls' in window
          ? new CountWindow(requireInteger(owner, 'failureRate.window.calls', window.calls, 1))
          : new TimeWindow(requireNumber(owner, 'failureRate.window.durationMs', window.durationMs, 1));
      this.slowCallMs =
        slowCallMs === undefined ? undefined : requireNumber(owner, 'failureRate.slowCallMs', slowCallMs, 0);
    } else {
      this.window = new CountWindow(REPORTING_WINDOW_CALLS);
    }
    this.baseResetMs = requireNumber(owner, 'resetTimeoutMs', options.resetTimeoutMs ?? 30_000, 0);
    if (options.resetTimeoutGrowth) {
      const { factor, maxResetTimeoutMs } = options.resetTimeoutGrowth;
      requireNumber(owner, 'resetTimeoutGrowth.factor', factor, 1);
      requireNumber(owner, 'resetTimeoutGrowth.maxResetTimeoutMs', maxResetTimeoutMs, this.baseResetMs);
      this.growth = { factor, maxResetTimeoutMs };
    }
    this.currentResetMs = this.baseResetMs;
    this.maxProbes = requireInteger(owner, 'halfOpenMaxProbes', options.halfOpenMaxProbes ?? 1, 1);
    this.successesToClose = requireInteger(
      owner,
      'halfOpenSuccessesToClose',
      options.halfOpenSuccessesToClose ?? 1,
      1,
    );
    this.classify = options.classify ?? defaultClassify;
    this.isServiceFault = options.isServiceFault ?? ((failure) => failure.serviceFault);
    this.clock = options.clock ?? realClock;
  }

  /** The state now (moves open → half-open when the reset timeout has passed). */
  get state(): CircuitState {
    this.refresh();
    return this.current;
  }

  run(next: Next, context: BaseContext, done: Done): void {
    let ticket: number;
    try {
      ticket = this.admit();
    } catch (refusal) {
      done(true, refusal);
      return;
    }
    const startMs = this.slowCallMs === undefined ? 0 : this.clock.now();
    next(context, (failed, result) => {
      try {
        if (failed) this.onFailure(ticket, result);
        else this.onSuccess(ticket, startMs);
      } catch (bookkeepingError) {
        // Only a user's classify rule or isServiceFault can throw here; the caller must hear of it.
        done(true, bookkeepingError);
        return;
      }
      done(failed, result);
    });
  }

  /** Opens the breaker and keeps it open until `reset()`: for maintenance, or a service known to be down. */
  isolate(reason = 'isolated by hand'): void {
    this.transition('isolated', reason);
  }

  /** Closes the breaker and forgets its history. */
  reset(reason = 'reset by hand'): void {
    this.opensInARow = 0;
    this.currentResetMs = this.baseResetMs;
    this.transition('closed', reason);
  }

  snapshot(): CircuitSnapshot {
    this.refresh();
    const nowMs = this.window.timeBased ? this.clock.now() : 0;
    const { calls, failures } = this.window.stats(nowMs);
    return {
      name: this.name,
      state: this.current,
      failureRate: calls === 0 ? 0 : failures / calls,
      calls,
      failures,
      consecutiveFailures: this.consecutive,
      retryAfterMs: this.current === 'open' ? Math.max(0, this.openUntilMs - this.clock.now()) : 0,
      resetTimeoutMs: this.currentResetMs,
      reason: this.reasonText,
      lastTransitions: [...this.transitions],
    };
  }

  /** Admits a call or throws CircuitOpenError. Returns a ticket: the epoch, shifted, with a probe bit. */
  private admit(): number {
    if (this.current === 'closed') return this.epoch * 2;
    this.refresh();
    if (this.current === 'half-open' && this.probesInFlight < this.maxProbes) {
      this.probesInFlight++;
      return this.epoch * 2 + PROBE;
    }
    const retryAfterMs =
      this.current === 'open'
        ? Math.max(0, this.openUntilMs - this.clock.now())
        : this.current === 'isolated'
          ? this.currentResetMs
          : 0;
    if (this.listening('rejected')) this.emit('rejected', { state: this.current, retryAfterMs });
    throw new CircuitOpenError(this.name, retryAfterMs, this.reasonText);
  }

  private onSuccess(ticket: number, startMs: number): void {
    if (ticket >> 1 !== this.epoch) return;
    if (this.listening('success')) this.emit('success', { state: this.current });
    if (ticket & PROBE) {
      this.probesInFlight--;
      if (++this.probeSuccesses >= this.successesToClose) {
        this.opensInARow = 0;
        this.currentResetMs = this.baseResetMs;
        this.transition('closed', `${plural(this.probeSuccesses, 'trial call')} succeeded`);
      }
      return;
    }
    this.consecutive = 0;
    const slow = this.slowCallMs !== undefined && this.clock.now() - startMs >= this.slowCallMs;
    this.record(slow, slow);
  }

  private onFailure(ticket: number, error: unknown): void {
    const failure = this.classify(error);
    const counted = this.isServiceFault(failure);
    if (this.listening('failure')) this.emit('failure', { failure, counted, state: this.current });
    if (ticket >> 1 !== this.epoch) return;
    if (ticket & PROBE) {
      this.probesInFlight--;
      if (counted) this.open(`trial call failed: ${failure.message}`);
      return;
    }
    if (!counted) return;
    this.consecutive++;
    this.record(true, false); // may open the breaker on its failure rate
    if (this.current === 'closed' && this.consecutiveLimit > 0 && this.consecutive >= this.consecutiveLimit) {
      this.open(`${this.consecutive} consecutive failures, last: ${failure.message}`);
    }
  }

  private record(failed: boolean, slow: boolean): void {
    const nowMs = this.window.timeBased ? this.clock.now() : 0;
    this.window.record(failed, slow, nowMs);
    if (!this.rate || !failed) return;
    const { calls, failures } = this.window.stats(nowMs);
    if (calls >= this.rate.minimumCalls && failures / calls >= this.rate.threshold) {
      const percent = Math.round((failures / calls) * 100);
      this.open(
        `failure rate ${percent}% over ${this.window.description} (threshold ${Math.round(this.rate.threshold * 100)}%)`,
      );
    }
  }

  private open(reason: string): void {
    this.opensInARow++;
    if (this.growth && this.opensInARow > 1) {
      this.currentResetMs = Math.min(this.currentResetMs * this.growth.factor, this.growth.maxResetTimeoutMs);
    }
    this.openUntilMs = this.clock.now() + this.currentResetMs;
    this.transition('open', reason);
  }

  private refresh(): void {
    if (this.current === 'open' && this.clock.now() >= this.openUntilMs) {
      this.transition(
        'half-open',
        `reset timeout of ${formatDuration(this.currentResetMs)} elapsed; trying again`,
        this.reasonText,
      );
    }
  }

  private transition(to: CircuitState, reason: string, keepReason?: string): void {
    const from = this.current;
    this.current = to;
    this.reasonText = keepReason ?? reason;
    this.epoch++;
    this.probesInFlight = 0;
    this.probeSuccesses = 0;
    if (to === 'closed') {
      this.consecutive = 0;
      this.window.reset();
    }
    const change: StateChange = { from, to, reason, atMs: this.clock.now() };
    this.transitions.push(change);
    if (this.transitions.length > TRANSITIONS_KEPT) this.transitions.shift();
    this.emit('stateChange', change);
  }
}

export function circuitBreaker(options?: CircuitBreakerOptions): CircuitBreaker {
  return new CircuitBreaker(options);
}
