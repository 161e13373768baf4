import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  constantBackoff,
  exponentialBackoff,
  InvalidOptionError,
  type Jitter,
  seededRandom,
} from '../../../src/index.js';

const jitters: Jitter[] = ['none', 'full', 'equal', 'decorrelated'];
const FAR_ATTEMPTS = [1, 2, 10, 1023, 1024, 1025, 1100, 2048, 10_000, 1_000_000, Number.MAX_SAFE_INTEGER];

describe('exponentialBackoff', () => {
  it('follows initial × factor^(n−1) up to the cap, without jitter', () => {
    const backoff = exponentialBackoff({ initialDelayMs: 100, factor: 2, maxDelayMs: 1000, jitter: 'none' });
    expect([1, 2, 3, 4, 5, 6].map((n) => backoff.delayMs(n))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('full jitter stays in [0, d]; equal jitter in [d/2, d]', () => {
    const full = exponentialBackoff({
      initialDelayMs: 100,
      maxDelayMs: 10_000,
      jitter: 'full',
      random: () => 0.999,
    });
    const equal = exponentialBackoff({
      initialDelayMs: 100,
      maxDelayMs: 10_000,
      jitter: 'equal',
      random: () => 0,
    });
    expect(full.delayMs(3)).toBeCloseTo(399.6, 5);
    expect(equal.delayMs(3)).toBe(200);
  });

  it('decorrelated jitter has a median near the initial delay on the first retry, and grows', () => {
    const backoff = exponentialBackoff({
      initialDelayMs: 1000,
      maxDelayMs: 1e9,
      jitter: 'decorrelated',
      random: seededRandom(7),
    });
    const median = (attempt: number) => {
      const samples = Array.from({ length: 2001 }, () => backoff.delayMs(attempt)).sort((a, b) => a - b);
      return samples[1000] as number;
    };
    expect(median(1)).toBeGreaterThan(500);
    expect(median(1)).toBeLessThan(1500);
    expect(median(5)).toBeGreaterThan(median(2) * 4);
  });

  it.each(jitters)('%s: finite and within [0, max] at attempts where peers overflowed', (jitter) => {
    const backoff = exponentialBackoff({
      initialDelayMs: 200,
      factor: 2,
      maxDelayMs: 30_000,
      jitter,
      random: seededRandom(1),
    });
    for (const attempt of FAR_ATTEMPTS) {
      const delay = backoff.delayMs(attempt);
      expect(Number.isFinite(delay), `attempt ${attempt}: ${delay}`).toBe(true);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(30_000);
    }
  });

  it('property: every delay is finite and within its bounds, for any attempt up to a million', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        // Durations below a microsecond are meaningless, and subnormal doubles only test float rounding.
        fc.oneof(fc.constant(0), fc.double({ min: 1e-3, max: 60_000, noNaN: true })),
        fc.double({ min: 1, max: 10, noNaN: true }),
        fc.oneof(fc.constant(0), fc.double({ min: 1e-3, max: 3_600_000, noNaN: true })),
        fc.constantFrom(...jitters),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, initialDelayMs, factor, maxDelayMs, jitter, randomValue) => {
          const backoff = exponentialBackoff({
            initialDelayMs,
            factor,
            maxDelayMs,
            jitter,
            random: () => randomValue,
          });
          const delay = backoff.delayMs(attempt);
          expect(Number.isFinite(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(maxDelayMs);
          const base =
            initialDelayMs === 0 ? 0 : Math.min(maxDelayMs, initialDelayMs * factor ** (attempt - 1));
          if (jitter === 'none') expect(Math.abs(delay - base)).toBeLessThanOrEqual(base * 1e-9);
          if (jitter === 'full') expect(delay).toBeLessThanOrEqual(base);
          if (jitter === 'equal') expect(delay).toBeGreaterThanOrEqual(base / 2 - base * 1e-9);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('property: exponential without jitter never decreases', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999_999 }), (attempt) => {
        const backoff = exponentialBackoff({
          initialDelayMs: 50,
          factor: 1.5,
          maxDelayMs: 90_000,
          jitter: 'none',
        });
        expect(backoff.delayMs(attempt + 1)).toBeGreaterThanOrEqual(backoff.delayMs(attempt));
      }),
    );
  });

  it('keeps a misbehaving random source in range', () => {
    const backoff = exponentialBackoff({
      initialDelayMs: 100,
      maxDelayMs: 1000,
      jitter: 'full',
      random: () => Number.NaN,
    });
    expect(backoff.delayMs(2)).toBe(0);
    const tooBig = exponentialBackoff({
      initialDelayMs: 100,
      maxDelayMs: 1000,
      jitter: 'decorrelated',
      random: () => 7,
    });
    expect(tooBig.delayMs(3)).toBeLessThanOrEqual(1000);
  });

  it('refuses bad options with a message naming the option', () => {
    expect(() => exponentialBackoff({ factor: 0.5 })).toThrow(InvalidOptionError);
    expect(() => exponentialBackoff({ factor: 0.5 })).toThrow(/factor must be a number ≥ 1, got 0.5/);
    expect(() => exponentialBackoff({ maxDelayMs: Number.NaN })).toThrow(/maxDelayMs/);
    expect(() => exponentialBackoff({ jitter: 'random' as Jitter })).toThrow(/jitter must be one of/);
  });
});

describe('constantBackoff', () => {
  it('waits the same each time, or jitters within [0, d]', () => {
    expect(constantBackoff(250).delayMs(1_000_000)).toBe(250);
    const jittered = constantBackoff(250, { jitter: 'full', random: () => 0.5 });
    expect(jittered.delayMs(3)).toBe(125);
    expect(() => constantBackoff(-1)).toThrow(/delayMs must be a number ≥ 0, got -1/);
  });
});
