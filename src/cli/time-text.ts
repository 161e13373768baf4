import { formatDuration } from '../core/format.js';

/** "5m ago", "just now" — for a person reading a table. */
export function ago(atMs: number, nowMs = Date.now()): string {
  const ms = nowMs - atMs;
  if (ms < 1000) return 'just now';
  return `${roundedDuration(ms)} ago`;
}

/** "in 12s", "now" — for the next attempt. */
export function fromNow(atMs: number, nowMs = Date.now()): string {
  const ms = atMs - nowMs;
  if (ms <= 0) return 'now';
  return `in ${roundedDuration(ms)}`;
}

function roundedDuration(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)}h`;
  if (ms < 30 * 86_400_000) return `${Math.round(ms / 86_400_000)}d`;
  return formatDuration(ms);
}
