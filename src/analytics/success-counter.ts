/**
 * Counts successes per operation in time buckets, so failure rates have a denominator without keeping a
 * record per success. Buckets older than the retention are dropped; memory is bounded by
 * operations × retention / bucket size.
 */
export class SuccessCounter {
  private readonly buckets = new Map<string, Map<number, number>>();

  constructor(
    private readonly bucketMs: number,
    private readonly retentionMs: number,
  ) {}

  add(operation: string, atMs: number): void {
    const bucket = Math.floor(atMs / this.bucketMs);
    let perOperation = this.buckets.get(operation);
    if (!perOperation) {
      perOperation = new Map();
      this.buckets.set(operation, perOperation);
    }
    perOperation.set(bucket, (perOperation.get(bucket) ?? 0) + 1);
    if (perOperation.size > this.retentionMs / this.bucketMs + 1) this.prune(perOperation, atMs);
  }

  /** Successes of `operation` at or after `sinceMs` (to the bucket's precision). */
  count(operation: string, sinceMs: number): number {
    const perOperation = this.buckets.get(operation);
    if (!perOperation) return 0;
    const first = Math.floor(sinceMs / this.bucketMs);
    let total = 0;
    for (const [bucket, count] of perOperation) if (bucket >= first) total += count;
    return total;
  }

  operations(): string[] {
    return [...this.buckets.keys()];
  }

  clear(): void {
    this.buckets.clear();
  }

  private prune(perOperation: Map<number, number>, nowMs: number): void {
    const oldest = Math.floor((nowMs - this.retentionMs) / this.bucketMs);
    for (const bucket of perOperation.keys()) if (bucket < oldest) perOperation.delete(bucket);
  }
}
