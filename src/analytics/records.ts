import type { FailureKind } from '../core/failure.js';

export type Severity = 'info' | 'warning' | 'error' | 'critical';

/** What the caller knows about a failure that the error does not say. */
export interface FailureContext {
  /** What was being done: "store-blob", "POST /ops". */
  operation?: string;
  /** Which part of the program: "uploader", "walrus-client". */
  component?: string;
  /** Default from the failure's kind: cancelled → info, permanent → error, the rest → warning. */
  severity?: Severity;
  metadata?: Record<string, unknown>;
}

/** One recorded failure. Plain data: it is persisted as is. */
export interface FailureRecord {
  atMs: number;
  kind: FailureKind;
  message: string;
  code?: string;
  status?: number;
  retryable: boolean;
  operation: string;
  component: string;
  severity: Severity;
  metadata?: Record<string, unknown>;
}

export const UNNAMED = '(unnamed)';

export function defaultSeverity(kind: FailureKind): Severity {
  if (kind === 'cancelled') return 'info';
  if (kind === 'permanent') return 'error';
  return 'warning';
}

/** A duration in a message ("next trial call in 29.9s", "retry after 2m 30s"), which changes by the second. */
const DURATION = /\b\d+(\.\d+)?(ms|s|m|h)\b( \d+(ms|s|m))?/g;

/**
 * Failures with the same signature are "the same error" for statistics and pattern detection. Durations in
 * the message are left out: a breaker's countdown must not make each refusal an error of its own.
 */
export function signature(record: FailureRecord): string {
  const identity = record.code ?? (record.status === undefined ? '' : `HTTP ${record.status}`);
  return `${record.kind}|${identity}|${record.message.replace(DURATION, '…')}`;
}
