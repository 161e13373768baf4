import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SameTurnBatch } from '../../../src/node/same-turn-batch.js';

/** A batch whose commits are recorded: each commit is the list of inputs it carried. */
function recorder(options: { lazyMs?: number; maxLazy?: number }) {
  const commits: string[][] = [];
  const batch = new SameTurnBatch<string, string>((inputs) => {
    commits.push(inputs);
    return inputs.map((value) => ({ ok: true, value: value.toUpperCase() }));
  }, options);
  return { batch, commits };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('SameTurnBatch', () => {
  it('commits eager entries at the end of the turn, and each caller gets its own outcome', async () => {
    const { batch, commits } = recorder({ lazyMs: 4 });
    const outcomes = Promise.all([batch.add('a'), batch.add('b')]);
    expect(commits).toEqual([]);
    await vi.advanceTimersToNextTimerAsync();
    expect(commits).toEqual([['a', 'b']]);
    expect(await outcomes).toEqual(['A', 'B']);
  });

  it('lets lazy entries of several turns wait up to lazyMs for one commit', async () => {
    const { batch, commits } = recorder({ lazyMs: 4 });
    const first = batch.add('a', true);
    await vi.advanceTimersByTimeAsync(2);
    const second = batch.add('b', true);
    await vi.advanceTimersByTimeAsync(1);
    expect(commits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1); // 4 ms after the first
    expect(commits).toEqual([['a', 'b']]);
    expect([await first, await second]).toEqual(['A', 'B']);
  });

  it('an eager entry takes the lazy ones waiting with it at the end of its turn', async () => {
    const { batch, commits } = recorder({ lazyMs: 1000 });
    void batch.add('lazy', true);
    await vi.advanceTimersByTimeAsync(1);
    void batch.add('eager');
    await vi.advanceTimersToNextTimerAsync();
    expect(commits).toEqual([['lazy', 'eager']]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(commits).toHaveLength(1); // the lazy timer went with the commit
  });

  it('stops waiting at maxLazy entries, and without lazyMs nothing waits', async () => {
    const capped = recorder({ lazyMs: 1000, maxLazy: 3 });
    for (const input of ['a', 'b', 'c']) void capped.batch.add(input, true);
    await vi.advanceTimersToNextTimerAsync();
    expect(capped.commits).toEqual([['a', 'b', 'c']]);

    const eagerOnly = recorder({});
    void eagerOnly.batch.add('x', true);
    await vi.advanceTimersToNextTimerAsync();
    expect(eagerOnly.commits).toEqual([['x']]);
  });

  it('flush() commits at once whatever waits, lazy or not', () => {
    const { batch, commits } = recorder({ lazyMs: 1000 });
    void batch.add('a', true);
    batch.flush();
    expect(commits).toEqual([['a']]);
  });
});
