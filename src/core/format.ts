/** Small renderers shared by error messages and the CLI. */

/** 1234 → "1.2s", 250 → "250ms", 90_000 → "1m 30s", 120_000 → "2m", 86_400_000 → "24h". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${Math.round(abs)}ms`;
  if (abs < 60_000) return `${sign}${(abs / 1000).toFixed(1)}s`;
  const totalSeconds = Math.round(abs / 1000);
  // A zero second part is left out ("24h", not "24h 0m").
  const pair = (whole: number, part: number, unit: string, partUnit: string) =>
    `${sign}${whole}${unit}${part === 0 ? '' : ` ${part}${partUnit}`}`;
  if (abs < 3_600_000) return pair(Math.floor(totalSeconds / 60), totalSeconds % 60, 'm', 's');
  const totalMinutes = Math.round(abs / 60_000);
  return pair(Math.floor(totalMinutes / 60), totalMinutes % 60, 'h', 'm');
}

/** 1 → "1 attempt", 2 → "2 attempts". */
export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : pluralNoun}`;
}
