import type { FailureKind } from '../core/failure.js';
import { type FailureRecord, type Severity, signature } from './records.js';

export interface TopError {
  message: string;
  kind: FailureKind;
  code?: string;
  status?: number;
  count: number;
  lastAtMs: number;
}

export interface FailureStats {
  total: number;
  byKind: Partial<Record<FailureKind, number>>;
  byOperation: Record<string, number>;
  byComponent: Record<string, number>;
  bySeverity: Partial<Record<Severity, number>>;
  /** The most frequent errors, most frequent first. */
  topErrors: TopError[];
  firstAtMs?: number;
  lastAtMs?: number;
}

export interface OperationRate {
  operation: string;
  failures: number;
  successes: number;
  /** failures / (failures + successes); 0 when nothing ran. */
  failureRate: number;
  failuresPerMinute: number;
}

const TOP_ERRORS = 5;

export function computeStats(records: readonly FailureRecord[]): FailureStats {
  const stats: FailureStats = {
    total: records.length,
    byKind: {},
    byOperation: {},
    byComponent: {},
    bySeverity: {},
    topErrors: [],
  };
  const errors = new Map<string, TopError>();
  for (const record of records) {
    increment(stats.byKind, record.kind);
    increment(stats.byOperation, record.operation);
    increment(stats.byComponent, record.component);
    increment(stats.bySeverity, record.severity);
    const key = signature(record);
    const existing = errors.get(key);
    if (existing) {
      existing.count++;
      existing.lastAtMs = Math.max(existing.lastAtMs, record.atMs);
    } else {
      const entry: TopError = { message: record.message, kind: record.kind, count: 1, lastAtMs: record.atMs };
      if (record.code !== undefined) entry.code = record.code;
      if (record.status !== undefined) entry.status = record.status;
      errors.set(key, entry);
    }
    stats.firstAtMs = Math.min(stats.firstAtMs ?? record.atMs, record.atMs);
    stats.lastAtMs = Math.max(stats.lastAtMs ?? record.atMs, record.atMs);
  }
  stats.topErrors = [...errors.values()]
    .sort((a, b) => b.count - a.count || b.lastAtMs - a.lastAtMs)
    .slice(0, TOP_ERRORS);
  return stats;
}

export function computeRate(
  operation: string,
  failures: number,
  successes: number,
  windowMs: number,
): OperationRate {
  const attempts = failures + successes;
  return {
    operation,
    failures,
    successes,
    failureRate: attempts === 0 ? 0 : failures / attempts,
    failuresPerMinute: windowMs > 0 ? failures / (windowMs / 60_000) : 0,
  };
}

function increment<K extends string>(counts: Partial<Record<K, number>>, key: K): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
