import { formatDuration } from '../core/format.js';
import { formatPercent } from '../network/quality-level.js';
import type { Recommendations } from '../network/recommendations.js';
import { type Colour, type Output, paint } from './output.js';

/** Rows for a quality block (level, latency, loss) and its advice, shared by `health` and `probe`. */

/** The measurements a quality block shows: a QualityMonitor's snapshot, or what the agent wrote of it. */
export interface QualityView {
  level: string;
  score: number;
  latencyMs: number | undefined;
  jitterMs: number | undefined;
  lossRate: number;
}

const LEVEL_COLOUR: Record<string, Colour> = {
  excellent: 'green',
  good: 'green',
  fair: 'yellow',
  poor: 'yellow',
  offline: 'red',
  unknown: 'grey',
};

/** The link's state, coloured on a terminal: online green, offline red, unknown yellow. */
export function linkStateText(output: Output, state: string): string {
  return paint(output, state === 'online' ? 'green' : state === 'offline' ? 'red' : 'yellow', state);
}

/** A score for JSON: three decimals (0.76, not 0.7599999999999999). */
export const roundScore = (score: number) => Math.round(score * 1000) / 1000;

/** "good, score 87%" (the level coloured on a terminal). */
export function levelText(output: Output, quality: Pick<QualityView, 'level' | 'score'>): string {
  return `${paint(output, LEVEL_COLOUR[quality.level] ?? 'grey', quality.level)}, score ${Math.round(quality.score * 100)}%`;
}

/** "0.4ms", "12.3ms", "4ms", "250ms", "1.2s": a decimal where a round-trip time is small enough to need one. */
export function formatLatency(ms: number | undefined): string {
  if (ms === undefined) return 'not measured';
  // Whole milliseconds come from a millisecond clock: a decimal would claim precision it does not have.
  return ms < 100 && !Number.isInteger(ms) ? `${ms.toFixed(1)}ms` : formatDuration(ms);
}

/** Label/value rows: level, latency with jitter, loss. */
export function qualityRows(output: Output, quality: QualityView): string[][] {
  const jitter = quality.jitterMs === undefined ? '' : `, jitter ${formatLatency(quality.jitterMs)}`;
  return [
    ['level', levelText(output, quality)],
    ['latency', `${formatLatency(quality.latencyMs)}${jitter}`],
    // Offline with no failed sample counted (the connectivity monitor said so): 0% would read as healthy.
    [
      'loss',
      quality.level === 'offline' && quality.lossRate === 0
        ? 'not measured (link offline)'
        : formatPercent(quality.lossRate),
    ],
  ];
}

/**
 * Label/value rows: whether to start a large transfer (or how long to wait, and why), batch size,
 * concurrency. Offline, nothing goes out: the sizes are for when the link is back.
 */
export function adviceRows(output: Output, advice: Recommendations, level: string): string[][] {
  const { transfer } = advice;
  const verdict = transfer.startNow
    ? `${paint(output, 'green', 'start now')}: ${transfer.reason}`
    : `${paint(output, 'yellow', `wait ${formatDuration(transfer.waitMs ?? 0)}`)}: ${transfer.reason}`;
  const whenBack = level === 'offline' ? ' once the link is back' : '';
  return [
    ['large transfer', verdict],
    ['batch size', `${advice.batchSize}${whenBack}`],
    ['concurrency', `${advice.concurrency}${whenBack}`],
  ];
}
