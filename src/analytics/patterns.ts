import type { FailureKind } from '../core/failure.js';
import { formatDuration } from '../core/format.js';
import { type FailureRecord, signature } from './records.js';

export type PatternType = 'repeated-error' | 'burst' | 'dominant-operation';

export interface FailurePattern {
  type: PatternType;
  /** What was seen: "connection reset (ECONNRESET) repeated 37 times". */
  summary: string;
  /** What to do about it, in one sentence. */
  recommendation: string;
  count: number;
  operation?: string;
  kind?: FailureKind;
}

export interface PatternOptions {
  /** The same error this many times is a pattern. Default 5. */
  repeatThreshold?: number;
  /** A burst is this many failures… Default 10. */
  burstCount?: number;
  /** …within this span. Default 10 s. */
  burstSpanMs?: number;
  /** One operation with this share of at least 10 failures dominates. Default 0.6. */
  dominantShare?: number;
}

const ADVICE: Record<FailureKind, string> = {
  transient:
    'the link or the service keeps dropping requests: keep retries with jitter, and look for a proxy or firewall cutting connections',
  timeout:
    'calls keep timing out: check latency with `lifeline probe`, or raise timeoutMs if the service is just slow',
  'rate-limited':
    'the service keeps asking to slow down: add a rate limit under its quota, or lower concurrency',
  offline:
    'the link keeps going down: queue the work (lifeline queue) instead of calling directly, so it drains when back',
  'circuit-open':
    'a circuit keeps refusing calls: the service is down; check its health, or isolate it until it is back',
  permanent: 'retrying will not help a permanent failure: fix the request itself',
  cancelled: 'calls keep being cancelled: check whether callers give up too early',
};

/** Finds repeated errors, bursts and dominating operations in `records` (oldest first). */
export function detectPatterns(
  records: readonly FailureRecord[],
  options: PatternOptions = {},
): FailurePattern[] {
  const { repeatThreshold = 5, burstCount = 10, burstSpanMs = 10_000, dominantShare = 0.6 } = options;
  return [
    ...repeatedErrors(records, repeatThreshold),
    ...bursts(records, burstCount, burstSpanMs),
    ...dominantOperations(records, dominantShare),
  ];
}

function repeatedErrors(records: readonly FailureRecord[], threshold: number): FailurePattern[] {
  const groups = new Map<string, FailureRecord[]>();
  for (const record of records) {
    const key = signature(record);
    const group = groups.get(key) ?? [];
    group.push(record);
    groups.set(key, group);
  }
  return [...groups.values()]
    .filter((group) => group.length >= threshold)
    .sort((a, b) => b.length - a.length)
    .map((group) => {
      const first = group[0] as FailureRecord;
      const identity = first.code ?? (first.status === undefined ? undefined : `HTTP ${first.status}`);
      const label =
        identity && !first.message.includes(identity) ? `${first.message} (${identity})` : first.message;
      const operations = new Set(group.map((record) => record.operation));
      const where =
        operations.size === 1 ? ` in ${first.operation}` : ` across ${operations.size} operations`;
      return {
        type: 'repeated-error' as const,
        summary: `${label} repeated ${group.length} times${where}`,
        recommendation: capitalise(ADVICE[first.kind]),
        count: group.length,
        kind: first.kind,
        ...(operations.size === 1 ? { operation: first.operation } : {}),
      };
    });
}

/** The densest span of `spanMs`; a burst if it holds `count` failures and is denser than the rest. */
function bursts(records: readonly FailureRecord[], count: number, spanMs: number): FailurePattern[] {
  if (records.length < count) return [];
  let best = { size: 0, startMs: 0, endMs: 0 };
  let left = 0;
  for (let right = 0; right < records.length; right++) {
    const endMs = (records[right] as FailureRecord).atMs;
    while (endMs - (records[left] as FailureRecord).atMs > spanMs) left++;
    const size = right - left + 1;
    if (size > best.size) best = { size, startMs: (records[left] as FailureRecord).atMs, endMs };
  }
  if (best.size < count) return [];
  const totalSpanMs = Math.max(
    spanMs,
    (records.at(-1) as FailureRecord).atMs - (records[0] as FailureRecord).atMs,
  );
  const expectedInSpan = records.length * (spanMs / totalSpanMs);
  // Failures spread evenly are a steady rate, not a burst.
  if (best.size < 2 * expectedInSpan) return [];
  const at = new Date(best.startMs).toISOString().slice(11, 19);
  return [
    {
      type: 'burst',
      summary: `burst of ${best.size} failures within ${formatDuration(best.endMs - best.startMs)} at ${at} UTC`,
      recommendation:
        'A burst this dense is an outage, not noise: make sure a circuit breaker opens on it so callers fail fast instead of piling up.',
      count: best.size,
    },
  ];
}

function dominantOperations(records: readonly FailureRecord[], share: number): FailurePattern[] {
  if (records.length < 10) return [];
  const counts = new Map<string, number>();
  for (const record of records) counts.set(record.operation, (counts.get(record.operation) ?? 0) + 1);
  if (counts.size < 2) return [];
  const [operation, count] = [...counts].sort((a, b) => b[1] - a[1])[0] as [string, number];
  if (count / records.length < share) return [];
  return [
    {
      type: 'dominant-operation',
      summary: `${operation} accounts for ${Math.round((count / records.length) * 100)}% of failures (${count} of ${records.length})`,
      recommendation: `Look at ${operation} first; give it its own breaker and bulkhead so it cannot drag the other operations down.`,
      count,
      operation,
    },
  ];
}

function capitalise(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}
