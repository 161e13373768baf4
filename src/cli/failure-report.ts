import type { FailurePattern } from '../analytics/patterns.js';
import type { FailureStats, OperationRate, TopError } from '../analytics/stats.js';
import { type Output, paint, table } from './output.js';
import { ago } from './time-text.js';

/** Renders what the failure log knows — counts, top errors, rates, patterns — for `lifeline health failures`. */

/** "transient 30, timeout 12", most first. */
function counts(byKey: Partial<Record<string, number>>): string {
  return Object.entries(byKey)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0) || a[0].localeCompare(b[0]))
    .map(([key, count]) => `${key} ${count}`)
    .join(', ');
}

export function statsLines(stats: FailureStats): string[] {
  return table([
    ['  by kind', counts(stats.byKind)],
    ['  by operation', counts(stats.byOperation)],
    ['  by component', counts(stats.byComponent)],
    ['  by severity', counts(stats.bySeverity)],
  ]);
}

function errorText(error: TopError): string {
  const identity = error.code ?? (error.status === undefined ? undefined : `HTTP ${error.status}`);
  return identity && !error.message.includes(identity) ? `${error.message} (${identity})` : error.message;
}

export function topErrorLines(output: Output, errors: readonly TopError[], nowMs = Date.now()): string[] {
  const rows = [['  COUNT', 'KIND', 'LAST', 'ERROR']];
  for (const error of errors) {
    rows.push([
      `  ${error.count}`,
      paint(output, 'yellow', error.kind),
      ago(error.lastAtMs, nowMs),
      errorText(error),
    ]);
  }
  return table(rows);
}

/**
 * One row per operation. The share of calls that failed needs the successes, which only the process
 * that made the calls counts (in memory); with none counted the column says so instead of "100%".
 */
export function rateLines(rates: readonly OperationRate[]): string[] {
  const rows = [['  OPERATION', 'FAILURES', 'PER MINUTE', 'OF CALLS']];
  for (const rate of rates) {
    rows.push([
      `  ${rate.operation}`,
      String(rate.failures),
      rate.failuresPerMinute < 10 ? rate.failuresPerMinute.toFixed(2) : rate.failuresPerMinute.toFixed(0),
      rate.successes === 0 ? 'successes not counted' : `${Math.round(rate.failureRate * 100)}%`,
    ]);
  }
  return table(rows);
}

/** "• summary" then "  → recommendation", for each pattern. */
export function patternLines(output: Output, patterns: readonly FailurePattern[]): string[] {
  return patterns.flatMap((pattern) => [
    `  • ${pattern.summary}`,
    `    ${paint(output, 'blue', '→')} ${pattern.recommendation}`,
  ]);
}
