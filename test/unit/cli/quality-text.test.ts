import { describe, expect, it } from 'vitest';
import type { Output } from '../../../src/cli/output.js';
import { qualityRows } from '../../../src/cli/quality-text.js';

const plain: Output = {
  line: () => {},
  write: () => {},
  error: () => {},
  json: () => {},
  colour: false,
  terminal: false,
};
const lossOf = (level: string, lossRate: number) =>
  qualityRows(plain, { level, score: 0, latencyMs: undefined, jitterMs: undefined, lossRate }).find(
    ([label]) => label === 'loss',
  )?.[1];

describe('qualityRows', () => {
  it('says loss was not measured when the link is offline with no failed sample, not 0.0%', () => {
    expect(lossOf('offline', 0)).toBe('not measured (link offline)');
    expect(lossOf('offline', 0.5)).toBe('50.0%');
    expect(lossOf('good', 0)).toBe('0.0%');
  });
});
