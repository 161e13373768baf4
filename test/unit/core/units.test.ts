import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  InvalidOptionError,
  parseBytes,
  parseBytesPerSecond,
  parseDurationMs,
} from '../../../src/index.js';

describe('units', () => {
  it('reads byte sizes with binary units, as curl does', () => {
    expect(parseBytes('512')).toBe(512);
    expect(parseBytes('64KB')).toBe(65_536);
    expect(parseBytes('1.5MiB')).toBe(1_572_864);
    expect(parseBytes('2 k')).toBe(2048);
    expect(parseBytes('1GB')).toBe(1024 ** 3);
  });

  it('reads rates in bytes (binary) and bits (decimal, as tc does)', () => {
    expect(parseBytesPerSecond('256KB/s')).toBe(262_144);
    expect(parseBytesPerSecond('1MiB/s')).toBe(1_048_576);
    expect(parseBytesPerSecond('2mbit')).toBe(250_000);
    expect(parseBytesPerSecond('500kbit')).toBe(62_500);
    expect(parseBytesPerSecond('8000')).toBe(8000);
  });

  it('reads durations', () => {
    expect(parseDurationMs('500')).toBe(500);
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs('2s')).toBe(2000);
    expect(parseDurationMs('1.5m')).toBe(90_000);
    expect(parseDurationMs('7d')).toBe(7 * 24 * 3_600_000); // as `health failures --since 7d` is written
  });

  it('refuses what it cannot read, saying what would work', () => {
    expect(() => parseBytesPerSecond('12XB/s', '--limit')).toThrow(InvalidOptionError);
    expect(() => parseBytesPerSecond('12XB/s', '--limit')).toThrow(
      "--limit: cannot read '12XB/s'; use a positive rate like 256KB/s",
    );
    expect(() => parseBytesPerSecond('0')).toThrow(/positive rate/);
    // Below a byte a second the throttle could send nothing: refused when read, not when the upload runs.
    expect(() => parseBytesPerSecond('0.5', '--limit')).toThrow(
      "--limit: '0.5' is less than 1 byte per second; a number alone is bytes per second",
    );
    expect(() => parseBytesPerSecond('4bit')).toThrow(/less than 1 byte per second/);
    expect(parseBytesPerSecond('8bit')).toBe(1);
    expect(() => parseBytes('-5')).toThrow(/cannot read '-5'/);
    expect(() => parseDurationMs('soon')).toThrow(/like 500, 250ms, 2s, 1m, 1h or 7d/);
  });

  it('formats sizes', () => {
    expect(formatBytes(12)).toBe('12 B');
    expect(formatBytes(262_144)).toBe('256.0 KB');
    expect(formatBytes(1_572_864)).toBe('1.5 MB');
  });
});
