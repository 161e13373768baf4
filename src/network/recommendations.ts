import { formatDuration, plural } from '../core/format.js';
import {
  describeMeasurements,
  formatPercent,
  LEVEL_THRESHOLDS,
  type LevelInput,
  type QualityLevel,
} from './quality-level.js';

/** Whether to start a large transfer now, and if not, how long to wait and why. */
export interface TransferAdvice {
  startNow: boolean;
  /** Set when `startNow` is false: when asking again is worthwhile. */
  waitMs?: number;
  reason: string;
}

export interface Recommendations {
  transfer: TransferAdvice;
  /** Items per request (or chunk count per upload step): shrinks as quality drops. */
  batchSize: number;
  /** Transfers to run at once: shrinks as quality drops. */
  concurrency: number;
}

/**
 * Share of `maxConcurrency` / `maxBatchSize` per level (floored, never below 1). With the defaults
 * (8 and 100): excellent 8 / 100, good 4 / 50, fair 2 / 25, poor and offline 1 / 12. Before any
 * measurement the fair row is used: start, but cautiously.
 */
export const SHARE_OF_MAX: Readonly<Record<QualityLevel, number>> = {
  excellent: 1,
  good: 1 / 2,
  fair: 1 / 4,
  poor: 1 / 8,
  offline: 1 / 8,
  unknown: 1 / 4,
};

/** The loss rate from which a large transfer waits: where the fair band ends. */
const WAIT_LOSS_FROM = (LEVEL_THRESHOLDS[LEVEL_THRESHOLDS.length - 1] as { lossBelow: number }).lossBelow;

export interface RecommendInput {
  level: QualityLevel;
  measurements: LevelInput;
  /** Samples the loss rate was computed over, for the reason. */
  lossSamples: number;
  /** Time until the connectivity monitor's next verdict, when known. */
  nextProbeInMs: number | undefined;
  recheckMs: number;
  maxConcurrency: number;
  maxBatchSize: number;
}

export function recommend(input: RecommendInput): Recommendations {
  return {
    transfer: adviseTransfer(input),
    batchSize: Math.max(1, Math.floor(input.maxBatchSize * SHARE_OF_MAX[input.level])),
    concurrency: concurrencyFor(input.level, input.maxConcurrency),
  };
}

/** The concurrency part of `recommend`, alone: what a worker reads on every turn. */
export function concurrencyFor(level: QualityLevel, maxConcurrency: number): number {
  return Math.max(1, Math.floor(maxConcurrency * SHARE_OF_MAX[level]));
}

function adviseTransfer(input: RecommendInput): TransferAdvice {
  const { level, measurements, recheckMs } = input;
  if (level === 'unknown') return { startNow: true, reason: 'no measurements yet' };
  if (measurements.linkState === 'offline') {
    if (input.nextProbeInMs === undefined) {
      return {
        startNow: false,
        waitMs: recheckMs,
        reason: `link offline; check again in ${formatDuration(recheckMs)}`,
      };
    }
    return {
      startNow: false,
      waitMs: input.nextProbeInMs,
      reason: `link offline; next probe in ${formatDuration(input.nextProbeInMs)}`,
    };
  }
  if (measurements.lossRate >= WAIT_LOSS_FROM) {
    return {
      startNow: false,
      waitMs: recheckMs,
      reason:
        `loss ${formatPercent(measurements.lossRate)} over the last ${plural(input.lossSamples, 'sample')} is too ` +
        `high for a large transfer; check again in ${formatDuration(recheckMs)}`,
    };
  }
  if (level === 'poor') {
    // High latency alone (a geostationary satellite hop is ~600 ms) is the link's normal: waiting would
    // never end, and a transfer with little loss still gets through. Start, one at a time.
    return {
      startNow: true,
      reason: `${describeMeasurements(measurements)}: latency is high but loss is low; start with small batches`,
    };
  }
  return { startNow: true, reason: `${level} link (${describeMeasurements(measurements)})` };
}
