/** Sliding windows of call outcomes, for failure-rate circuit breakers. */

export interface WindowStats {
  calls: number;
  failures: number;
  slowCalls: number;
}

export interface OutcomeWindow {
  record(failed: boolean, slow: boolean, nowMs: number): void;
  stats(nowMs: number): WindowStats;
  reset(): void;
  /** "the last 20 calls" / "the last 30.0s", for messages. */
  readonly description: string;
  /** Whether `record` and `stats` need the current time. */
  readonly timeBased: boolean;
}

const FAILED = 1;
const SLOW = 2;

/** The last `size` calls, in a ring: O(1) per call, no allocation. */
export class CountWindow implements OutcomeWindow {
  readonly timeBased = false;
  readonly description: string;
  private readonly outcomes: Uint8Array;
  private next = 0;
  private filled = 0;
  private failures = 0;
  private slowCalls = 0;

  constructor(readonly size: number) {
    this.outcomes = new Uint8Array(size);
    this.description = `the last ${size} calls`;
  }

  record(failed: boolean, slow: boolean): void {
    if (this.filled === this.size) {
      const evicted = this.outcomes[this.next] as number;
      if (evicted & FAILED) this.failures--;
      if (evicted & SLOW) this.slowCalls--;
    } else {
      this.filled++;
    }
    this.outcomes[this.next] = (failed ? FAILED : 0) | (slow ? SLOW : 0);
    if (failed) this.failures++;
    if (slow) this.slowCalls++;
    this.next = (this.next + 1) % this.size;
  }

  stats(): WindowStats {
    return { calls: this.filled, failures: this.failures, slowCalls: this.slowCalls };
  }

  reset(): void {
    this.outcomes.fill(0);
    this.next = 0;
    this.filled = 0;
    this.failures = 0;
    this.slowCalls = 0;
  }
}

/**
 * The calls of the last `durationMs`, in `bucketCount` buckets: an outcome leaves the window at most one
 * bucket (durationMs / bucketCount) late. Memory does not grow with the call rate.
 */
export class TimeWindow implements OutcomeWindow {
  readonly timeBased = true;
  readonly description: string;
  private readonly bucketMs: number;
  private readonly calls: Float64Array;
  private readonly failures: Float64Array;
  private readonly slowCalls: Float64Array;
  /** Index of the bucket each slot last held (floor(time / bucketMs)); stale slots are cleared on use. */
  private readonly epochs: Float64Array;

  constructor(
    readonly durationMs: number,
    readonly bucketCount = 10,
  ) {
    this.bucketMs = durationMs / bucketCount;
    this.calls = new Float64Array(bucketCount);
    this.failures = new Float64Array(bucketCount);
    this.slowCalls = new Float64Array(bucketCount);
    this.epochs = new Float64Array(bucketCount).fill(-1);
    this.description = `the last ${(durationMs / 1000).toFixed(1)}s`;
  }

  record(failed: boolean, slow: boolean, nowMs: number): void {
    const slot = this.slotFor(nowMs);
    this.calls[slot] = (this.calls[slot] as number) + 1;
    if (failed) this.failures[slot] = (this.failures[slot] as number) + 1;
    if (slow) this.slowCalls[slot] = (this.slowCalls[slot] as number) + 1;
  }

  stats(nowMs: number): WindowStats {
    const current = Math.floor(nowMs / this.bucketMs);
    const result: WindowStats = { calls: 0, failures: 0, slowCalls: 0 };
    for (let slot = 0; slot < this.bucketCount; slot++) {
      const epoch = this.epochs[slot] as number;
      if (epoch < 0 || current - epoch >= this.bucketCount || epoch > current) continue;
      result.calls += this.calls[slot] as number;
      result.failures += this.failures[slot] as number;
      result.slowCalls += this.slowCalls[slot] as number;
    }
    return result;
  }

  reset(): void {
    this.calls.fill(0);
    this.failures.fill(0);
    this.slowCalls.fill(0);
    this.epochs.fill(-1);
  }

  private slotFor(nowMs: number): number {
    const epoch = Math.floor(nowMs / this.bucketMs);
    const slot = ((epoch % this.bucketCount) + this.bucketCount) % this.bucketCount;
    if (this.epochs[slot] !== epoch) {
      this.epochs[slot] = epoch;
      this.calls[slot] = 0;
      this.failures[slot] = 0;
      this.slowCalls[slot] = 0;
    }
    return slot;
  }
}
