/** Small renderers shared by error messages and the CLI. */

/** 1234 → "1.2s", 250 → "250ms", 90_000 → "1m 30s", 7_200_000 → "2h 0m". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${Math.round(abs)}ms`;
  if (abs < 60_000) return `${sign}${(abs / 1000).toFixed(1)}s`;
  const totalSeconds = Math.round(abs / 1000);
  if (abs < 3_600_000) return `${sign}${Math.floor(totalSeconds / 60)}m ${totalSeconds % 60}s`;
  const totalMinutes = Math.round(abs / 60_000);
  return `${sign}${Math.floor(totalMinutes / 60)}h ${totalMinutes % 60}m`;
}

/** 1 → "1 attempt", 2 → "2 attempts". */
export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : pluralNoun}`;
}
