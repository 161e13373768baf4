import { describe, expect, it } from 'vitest';
import { uuidV7 } from '../../../src/core/uuid-v7.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidV7', () => {
  it('writes the time in its first 48 bits, then version 7 and the RFC 9562 variant', () => {
    const nowMs = Date.UTC(2026, 10, 22, 12, 0, 0, 123);
    const key = uuidV7(nowMs);
    expect(key).toMatch(V7);
    expect(Number.parseInt(key.slice(0, 8) + key.slice(9, 13), 16)).toBe(nowMs);
  });

  it('sorts by time as text, and never repeats (20,000 keys)', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => uuidV7(1_700_000_000_000 + Math.floor(i / 100)));
    expect(new Set(keys).size).toBe(keys.length);
    for (let i = 100; i < keys.length; i += 100) {
      expect((keys[i - 1] as string) < (keys[i] as string)).toBe(true);
    }
    for (const key of keys.slice(0, 500)) expect(key).toMatch(V7);
  });
});
