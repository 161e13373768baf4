import { type Classifier, classify as defaultClassify } from '../core/classify.js';
import { type Clock, realClock } from '../core/clock.js';
import type { EventSource, Unsubscribe } from '../core/events.js';
import type { Failure } from '../core/failure.js';
import { requireInteger } from '../core/validate.js';
import type { PipelineEvents } from '../policy/pipeline.js';
import type { FailureStore } from './failure-store.js';
import { detectPatterns, type FailurePattern, type PatternOptions } from './patterns.js';
import { defaultSeverity, type FailureContext, type FailureRecord, UNNAMED } from './records.js';
import { RingBuffer } from './ring-buffer.js';
import { computeRate, computeStats, type FailureStats, type OperationRate } from './stats.js';
import { SuccessCounter } from './success-counter.js';

export interface FailureLogOptions {
  /** Failures kept in memory; the oldest go first. Default 1000. */
  capacity?: number;
  /** Persists records across runs (SQLite in node/). Optional. */
  store?: FailureStore;
  classify?: Classifier;
  clock?: Clock;
}

const SUCCESS_BUCKET_MS = 10_000;
const SUCCESS_RETENTION_MS = 24 * 3_600_000;

/**
 * Remembers failures with their context, and answers: how many, of what kind, where, how often per
 * operation, and what patterns they form. Memory is bounded by `capacity`.
 *
 * Attach it to a pipeline and it records by itself: every failed attempt, every refusal (open breaker,
 * full bulkhead), and every success (the denominator of failure rates).
 */
export class FailureLog {
  private readonly records: RingBuffer<FailureRecord>;
  private readonly successes = new SuccessCounter(SUCCESS_BUCKET_MS, SUCCESS_RETENTION_MS);
  private readonly store: FailureStore | undefined;
  private readonly classify: Classifier;
  private readonly clock: Clock;
  private storeError: unknown;

  constructor(options: FailureLogOptions = {}) {
    this.records = new RingBuffer(requireInteger('FailureLog', 'capacity', options.capacity ?? 1000, 1));
    this.store = options.store;
    this.classify = options.classify ?? defaultClassify;
    this.clock = options.clock ?? realClock;
  }

  /** Reads recent records from the store into memory (call once at startup). */
  async load(sinceMs = 0): Promise<number> {
    if (!this.store) return 0;
    const loaded = await this.store.load(sinceMs, this.records.capacity);
    for (const record of loaded) this.records.push(record);
    return loaded.length;
  }

  /** Records an error (or an already classified Failure) with its context; returns the record. */
  record(errorOrFailure: unknown, context: FailureContext = {}): FailureRecord {
    const failure = isFailure(errorOrFailure) ? errorOrFailure : this.classify(errorOrFailure);
    const record: FailureRecord = {
      atMs: this.clock.now(),
      kind: failure.kind,
      message: failure.message,
      retryable: failure.retryable,
      operation: context.operation ?? UNNAMED,
      component: context.component ?? UNNAMED,
      severity: context.severity ?? defaultSeverity(failure.kind),
    };
    if (failure.code !== undefined) record.code = failure.code;
    if (failure.status !== undefined) record.status = failure.status;
    if (context.metadata) record.metadata = context.metadata;
    this.records.push(record);
    this.persist(record);
    return record;
  }

  /** Counts a success, the denominator of failure rates. */
  recordSuccess(context: Pick<FailureContext, 'operation'> = {}): void {
    this.successes.add(context.operation ?? UNNAMED, this.clock.now());
  }

  /** Records everything a pipeline does. Returns the function that detaches. */
  attach(source: EventSource<PipelineEvents>, context: FailureContext = {}): Unsubscribe {
    // An event that names its operation (resilientFetch does) overrides the attach-time one.
    const named = (operation: string | undefined): FailureContext =>
      operation === undefined ? context : { ...context, operation };
    const unsubscribers = [
      source.on('attemptFailure', ({ error, attempt, operation }) =>
        this.record(error, { ...named(operation), metadata: { ...context.metadata, attempt } }),
      ),
      source.on('failure', ({ error, fromAttempt, operation }) => {
        if (!fromAttempt) this.record(error, named(operation));
      }),
      source.on('success', ({ operation }) => this.recordSuccess(named(operation))),
    ];
    return () => {
      for (const unsubscribe of unsubscribers) unsubscribe();
    };
  }

  /** Records in memory since `sinceMs` (default: all), oldest first. */
  list(sinceMs = Number.NEGATIVE_INFINITY): FailureRecord[] {
    return this.records.toArray().filter((record) => record.atMs >= sinceMs);
  }

  stats(options: { sinceMs?: number } = {}): FailureStats {
    return computeStats(this.list(options.sinceMs));
  }

  /** Failure rate per operation over the last `windowMs` (default 1 h); one operation when named. */
  rates(options: { windowMs?: number; operation?: string } = {}): OperationRate[] {
    const windowMs = options.windowMs ?? 3_600_000;
    const sinceMs = this.clock.now() - windowMs;
    const failures = new Map<string, number>();
    for (const record of this.list(sinceMs))
      failures.set(record.operation, (failures.get(record.operation) ?? 0) + 1);
    const operations = new Set([...failures.keys(), ...this.successes.operations()]);
    return [...operations]
      .filter((operation) => options.operation === undefined || operation === options.operation)
      .map((operation) =>
        computeRate(
          operation,
          failures.get(operation) ?? 0,
          this.successes.count(operation, sinceMs),
          windowMs,
        ),
      )
      .filter((rate) => rate.failures + rate.successes > 0)
      .sort((a, b) => b.failureRate - a.failureRate || b.failures - a.failures);
  }

  /** Patterns in the last `windowMs` (default 1 h), each with a short recommendation. */
  patterns(options: PatternOptions & { windowMs?: number } = {}): FailurePattern[] {
    return detectPatterns(this.list(this.clock.now() - (options.windowMs ?? 3_600_000)), options);
  }

  /** The last error the store raised, if writing through failed (the in-memory log still has the record). */
  get lastStoreError(): unknown {
    return this.storeError;
  }

  async clear(): Promise<void> {
    this.records.clear();
    this.successes.clear();
    await this.store?.clear();
  }

  private persist(record: FailureRecord): void {
    if (!this.store) return;
    try {
      const pending = this.store.append(record);
      if (pending) pending.catch((error: unknown) => (this.storeError = error));
    } catch (error) {
      this.storeError = error;
    }
  }
}

function isFailure(value: unknown): value is Failure {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Partial<Failure>;
  return (
    typeof candidate.kind === 'string' && typeof candidate.retryable === 'boolean' && 'cause' in candidate
  );
}
