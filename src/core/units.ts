import { InvalidOptionError } from './errors.js';

/**
 * Parsing of human quantities for the command line and config files. Byte units are binary, as in
 * curl --limit-rate (1KB = 1K = 1KiB = 1024 bytes); bit units are decimal, as in tc (1mbit = 1,000,000 bits).
 */

const BYTE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

const BIT_UNITS: Record<string, number> = {
  bit: 1 / 8,
  bps: 1 / 8,
  kbit: 1000 / 8,
  kbps: 1000 / 8,
  mbit: 1_000_000 / 8,
  mbps: 1_000_000 / 8,
  gbit: 1_000_000_000 / 8,
  gbps: 1_000_000_000 / 8,
};

const DURATION_UNITS: Record<string, number> = {
  '': 1,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const QUANTITY = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i;

/** "1MB" → 1048576, "512" → 512, "1.5KiB" → 1536. */
export function parseBytes(text: string, what = 'size'): number {
  const match = QUANTITY.exec(text);
  const factor = match ? BYTE_UNITS[(match[2] as string).toLowerCase()] : undefined;
  if (!match || factor === undefined) {
    throw new InvalidOptionError(
      `${what}: cannot read '${text}'; use a number of bytes with a unit, like 512, 64KB or 1.5MiB`,
    );
  }
  return Math.round(Number(match[1]) * factor);
}

/** "256KB/s" → 262144, "2mbit" → 250000, "1MiB/s" → 1048576, "8000" → 8000 (bytes per second). */
export function parseBytesPerSecond(text: string, what = 'rate'): number {
  const match = QUANTITY.exec(text.replace(/\/s$/i, ''));
  const unit = match ? (match[2] as string).toLowerCase() : '';
  const factor = BIT_UNITS[unit] ?? BYTE_UNITS[unit];
  const value = match ? Number(match[1]) * (factor ?? Number.NaN) : Number.NaN;
  if (!(value > 0)) {
    throw new InvalidOptionError(
      `${what}: cannot read '${text}'; use a positive rate like 256KB/s, 1MiB/s, 2mbit or 500kbit`,
    );
  }
  // The throttle paces whole bytes: below one a second, nothing would ever be sent.
  if (value < 1) {
    throw new InvalidOptionError(
      `${what}: '${text}' is less than 1 byte per second; a number alone is bytes per second (use units: 2mbit, 256KB/s)`,
    );
  }
  return value;
}

/** "500" → 500, "500ms" → 500, "2s" → 2000, "1.5m" → 90000. */
export function parseDurationMs(text: string, what = 'duration'): number {
  const match = QUANTITY.exec(text);
  const factor = match ? DURATION_UNITS[(match[2] as string).toLowerCase()] : undefined;
  if (!match || factor === undefined) {
    throw new InvalidOptionError(
      `${what}: cannot read '${text}'; use milliseconds or a unit, like 500, 250ms, 2s, 1m, 1h or 7d`,
    );
  }
  return Number(match[1]) * factor;
}

/** 262144 → "256.0 KB", 1500 → "1.5 KB", 12 → "12 B". Binary units, as parsed. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${units[unit]}`;
}
