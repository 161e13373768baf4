import { formatDuration } from '../core/format.js';
import type { ConnectivityState } from './probe.js';

/**
 * How good the link is. `unknown` before the first sample; `offline` when the link is known to be offline
 * or loses more than 10% of samples; otherwise the first row of `LEVEL_THRESHOLDS` whose latency and loss
 * are both strictly below the measurements, else `poor`.
 */
export type QualityLevel = 'excellent' | 'good' | 'fair' | 'poor' | 'offline' | 'unknown';

/** Latency and loss limits (exclusive) of each level, best first. */
export const LEVEL_THRESHOLDS: ReadonlyArray<{
  level: 'excellent' | 'good' | 'fair';
  latencyBelowMs: number;
  lossBelow: number;
}> = [
  { level: 'excellent', latencyBelowMs: 50, lossBelow: 0.01 },
  { level: 'good', latencyBelowMs: 150, lossBelow: 0.02 },
  { level: 'fair', latencyBelowMs: 300, lossBelow: 0.05 },
];

/** Above this loss rate the link counts as offline even when probes still get through now and then. */
export const OFFLINE_LOSS_ABOVE = 0.1;

export interface LevelInput {
  linkState: ConnectivityState;
  sampleCount: number;
  /** Smoothed latency; undefined when no sample carried one (the level then rests on loss alone). */
  latencyMs: number | undefined;
  lossRate: number;
}

export function levelOf(input: LevelInput): QualityLevel {
  if (input.linkState === 'offline') return 'offline';
  if (input.sampleCount === 0) return 'unknown';
  if (input.lossRate > OFFLINE_LOSS_ABOVE) return 'offline';
  const latencyMs = input.latencyMs ?? 0;
  for (const row of LEVEL_THRESHOLDS) {
    if (latencyMs < row.latencyBelowMs && input.lossRate < row.lossBelow) return row.level;
  }
  return 'poor';
}

/** "latency 42ms, loss 1.5%" — the measurements behind a level, for events and recommendations. */
export function describeMeasurements(input: LevelInput): string {
  if (input.linkState === 'offline') return 'link offline';
  if (input.sampleCount === 0) return 'no measurements yet';
  const latency =
    input.latencyMs === undefined ? 'latency not measured' : `latency ${formatDuration(input.latencyMs)}`;
  return `${latency}, loss ${formatPercent(input.lossRate)}`;
}

export function formatPercent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}
