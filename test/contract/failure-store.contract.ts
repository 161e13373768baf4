import { describe, expect, it } from 'vitest';
import type { FailureStore } from '../../src/analytics/failure-store.js';
import type { FailureRecord } from '../../src/analytics/records.js';

/** The behaviour every FailureStore must have. */
export function describeFailureStore(
  name: string,
  open: () => { store: FailureStore; reopen?: () => FailureStore },
) {
  const record = (atMs: number, message = `failure at ${atMs}`): FailureRecord => ({
    atMs,
    kind: 'transient',
    message,
    retryable: true,
    operation: 'push',
    component: 'remote',
    severity: 'warning',
    metadata: { attempt: 2 },
  });

  describe(`FailureStore contract: ${name}`, () => {
    it('loads what was appended since a time, oldest first, at most the newest `limit`', async () => {
      const { store } = open();
      for (const atMs of [100, 200, 300, 400]) await store.append(record(atMs));
      expect((await store.load(200, 10)).map((r) => r.atMs)).toEqual([200, 300, 400]);
      expect((await store.load(0, 2)).map((r) => r.atMs)).toEqual([300, 400]);
      expect((await store.load(0, 1))[0]).toEqual(record(400));
    });

    it('clears everything', async () => {
      const { store } = open();
      await store.append(record(1));
      await store.clear();
      expect(await store.load(0, 10)).toEqual([]);
    });

    it('keeps records across a reopen, when it persists', async () => {
      const { store, reopen } = open();
      if (!reopen) return;
      await store.append(record(5, 'remembered'));
      expect((await reopen().load(0, 10)).map((r) => r.message)).toEqual(['remembered']);
    });
  });
}
