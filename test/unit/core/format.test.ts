import { describe, expect, it } from 'vitest';
import { formatDuration, plural } from '../../../src/core/format.js';

describe('formatDuration', () => {
  it('reads as a person would say it, leaving out a zero second part', () => {
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(1234)).toBe('1.2s');
    expect(formatDuration(90_000)).toBe('1m 30s');
    expect(formatDuration(120_000)).toBe('2m');
    expect(formatDuration(5_400_000)).toBe('1h 30m');
    expect(formatDuration(86_400_000)).toBe('24h');
    expect(formatDuration(-90_000)).toBe('-1m 30s');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('Infinity');
  });
});

describe('plural', () => {
  it('counts in the singular for one only', () => {
    expect(plural(1, 'attempt')).toBe('1 attempt');
    expect(plural(0, 'attempt')).toBe('0 attempts');
    expect(plural(2, 'entry', 'entries')).toBe('2 entries');
  });
});
