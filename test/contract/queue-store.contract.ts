import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { QueueStore } from '../../src/queue/store.js';
import type { ItemError } from '../../src/queue/types.js';
import { newItems } from '../helpers.js';

/**
 * The behaviour every QueueStore must have. Run by queue-stores.test.ts against each implementation.
 * `generatedKeys`: every item whose key the test does not choose is marked `generatedKey` (its key is
 * unique, as a generated one is), so a store's fast path for generated keys meets the whole contract too.
 */
export function describeQueueStore(
  name: string,
  open: () => Promise<{ store: QueueStore; reopen?: () => Promise<QueueStore> }>,
  { generatedKeys = false }: { generatedKeys?: boolean } = {},
) {
  describe(`QueueStore contract: ${name}${generatedKeys ? ', generated keys' : ''}`, () => {
    let store: QueueStore;
    let reopen: (() => Promise<QueueStore>) | undefined;
    const item = newItems({ keyPrefix: 'key', generatedKey: generatedKeys });
    const claim = (overrides: Partial<Parameters<QueueStore['claim']>[0]> = {}) =>
      store.claim({
        nowMs: 1000,
        limit: 10,
        owner: 'worker-a',
        leaseUntilMs: 61_000,
        kinds: ['http', 'upload'],
        ...overrides,
      });
    const error: ItemError = {
      message: 'connection reset',
      kind: 'transient',
      code: 'ECONNRESET',
      atMs: 1000,
    };

    beforeEach(async () => {
      ({ store, reopen } = await open());
    });
    afterEach(async () => {
      await store.close();
    });

    it('inserts items as pending with ascending ids, keeping payloads intact', async () => {
      const payload = { text: 'héllo ⛵', nested: { list: [1, null, true] } };
      const results = await store.insert([item({ payload }), item()]);
      expect(results.map((r) => r.inserted)).toEqual([true, true]);
      const [first, second] = results.map((r) => r.item);
      expect(first).toMatchObject({ status: 'pending', attempts: 0, maxAttempts: 5, payload });
      expect((second?.id ?? 0) > (first?.id ?? 0)).toBe(true);
      expect((await store.get(first?.id ?? -1))?.payload).toEqual(payload);
    });

    it('returns the stored item for a repeated idempotency key instead of adding another', async () => {
      const [original] = await store.insert([item({ idempotencyKey: 'same' })]);
      const again = await store.insert([
        item({ idempotencyKey: 'same', payload: 'other' }),
        item({ idempotencyKey: 'same' }),
      ]);
      expect(again.map((r) => [r.inserted, r.item.id])).toEqual([
        [false, original?.item.id],
        [false, original?.item.id],
      ]);
      expect((await store.counts()).total).toBe(1);
      // A repeated key uses up no id: the next item takes the one after the original.
      const [next] = await store.insert([item({ idempotencyKey: 'other' })]);
      expect(next?.item.id).toBe((original?.item.id as number) + 1);
    });

    it('claims by priority (higher first), then first in first out, up to the limit', async () => {
      const inserted = await store.insert([
        item({ priority: 1 }),
        item({ priority: 5 }),
        item({ priority: 1 }),
        item({ priority: 9 }),
      ]);
      const ids = inserted.map((r) => r.item.id);
      const claimed = await claim({ limit: 3 });
      expect(claimed.map((c) => c.id)).toEqual([ids[3], ids[1], ids[0]]);
      expect(claimed.every((c) => c.status === 'running' && c.attempts === 1 && c.owner === 'worker-a')).toBe(
        true,
      );
      expect((await claim()).map((c) => c.id)).toEqual([ids[2]]);
      expect(await claim()).toEqual([]);
    });

    it('hands out claimed items exactly as stored, and never more than the limit asks', async () => {
      const ids = (
        await store.insert([item({ priority: 2, payload: { deep: [1, 'two'] } }), item(), item(), item()])
      ).map((r) => r.item.id);
      expect(await claim({ limit: 0 })).toEqual([]);
      const [first] = await claim({ limit: 1, nowMs: 1500, leaseUntilMs: 7000 });
      expect(first).toEqual(await store.get(ids[0] as number));
      expect(first).toMatchObject({ status: 'running', attempts: 1, owner: 'worker-a', leaseUntilMs: 7000 });
      expect(first?.updatedAtMs).toBe(1500);
      expect(first?.payload).toEqual({ deep: [1, 'two'] });
      const two = await claim({ limit: 2, owner: 'worker-b' });
      expect(two.map((c) => c.id)).toEqual([ids[1], ids[2]]);
      for (const claimed of two) expect(claimed).toEqual(await store.get(claimed.id));
      expect((await claim({ limit: 1 })).map((c) => c.id)).toEqual([ids[3]]);
      expect((await store.counts()).running).toBe(4);
      // Claimed again after a failure: the second attempt, with the error it keeps.
      await store.reschedule(ids[3] as number, 'worker-a', { nowMs: 1600, nextAttemptAtMs: 1700, error });
      const [again] = await claim({ nowMs: 1800, id: ids[3] });
      expect(again).toMatchObject({ attempts: 2, lastError: error });
      expect(again).toEqual(await store.get(ids[3] as number));
    });

    it('claims only due items of the kinds asked for, unless told to ignore the schedule, or by id', async () => {
      const [later, other, due] = (
        await store.insert([item({ nextAttemptAtMs: 5000 }), item({ kind: 'email' }), item()])
      ).map((r) => r.item);
      expect((await claim()).map((c) => c.id)).toEqual([due?.id]);
      expect((await claim({ ignoreSchedule: true })).map((c) => c.id)).toEqual([later?.id]);
      expect(await claim({ ignoreSchedule: true })).toEqual([]);
      expect((await claim({ kinds: ['email'], id: other?.id })).map((c) => c.id)).toEqual([other?.id]);
    });

    it('completes an item only for the worker that holds it', async () => {
      const [{ item: inserted } = { item: undefined }] = await store.insert([item()]);
      const id = inserted?.id ?? -1;
      await claim();
      expect(await store.complete(id, 'worker-b', { nowMs: 2000 })).toBe(false);
      expect(await store.complete(id, 'worker-a', { nowMs: 2000, result: { status: 201 } })).toBe(true);
      expect(await store.get(id)).toMatchObject({
        status: 'completed',
        completedAtMs: 2000,
        result: { status: 201 },
      });
      expect((await store.get(id))?.owner).toBeUndefined();
      expect(await store.complete(id, 'worker-a', { nowMs: 3000 })).toBe(false);
    });

    it('reschedules with backoff: not claimable before its next attempt time', async () => {
      const [{ item: inserted } = { item: undefined }] = await store.insert([item()]);
      const id = inserted?.id ?? -1;
      await claim();
      expect(await store.reschedule(id, 'worker-a', { nowMs: 1000, nextAttemptAtMs: 4000, error })).toBe(
        true,
      );
      expect(await store.get(id)).toMatchObject({
        status: 'pending',
        attempts: 1,
        nextAttemptAtMs: 4000,
        lastError: error,
      });
      expect(await claim({ nowMs: 3999 })).toEqual([]);
      expect((await claim({ nowMs: 4000 })).map((c) => [c.id, c.attempts])).toEqual([[id, 2]]);
    });

    it('release returns an item without counting the attempt', async () => {
      const [{ item: inserted } = { item: undefined }] = await store.insert([item()]);
      await claim();
      expect(await store.release(inserted?.id ?? -1, 'worker-a', { nowMs: 1500 })).toBe(true);
      expect(await store.get(inserted?.id ?? -1)).toMatchObject({ status: 'pending', attempts: 0 });
      // Released until a time, with why (a breaker refused it unsent): not claimable before then.
      await claim({ nowMs: 1600 });
      const error = { message: 'circuit open', kind: 'circuit-open' as const, atMs: 1700 };
      expect(
        await store.release(inserted?.id ?? -1, 'worker-a', { nowMs: 1700, nextAttemptAtMs: 9000, error }),
      ).toBe(true);
      expect(await store.get(inserted?.id ?? -1)).toMatchObject({
        status: 'pending',
        attempts: 0,
        nextAttemptAtMs: 9000,
        lastError: error,
      });
      expect(await claim({ nowMs: 8999 })).toEqual([]);
      expect((await claim({ nowMs: 9000 })).map((c) => c.id)).toEqual([inserted?.id]);
    });

    it('counts the attempt of an item claimed ahead when it is settled, and never if it is recovered unrun', async () => {
      const ids = (await store.insert([item(), item(), item(), item(), item()])).map((r) => r.item.id);
      const claimed = await claim({ startNow: 1 });
      // Every claimed item is handed out with the attempt it is about to make...
      expect(claimed.map((c) => [c.id, c.status, c.attempts])).toEqual(ids.map((id) => [id, 'running', 1]));
      // ...but only the one that starts now has it counted in the store.
      const stored = async () => Promise.all(ids.map(async (id) => (await store.get(id))?.attempts));
      expect(await stored()).toEqual([1, 0, 0, 0, 0]);
      const [first, second, third, fourth] = ids as [number, number, number, number, number];
      await store.complete(second, 'worker-a', { nowMs: 2000, claimedAhead: true });
      await store.reschedule(third, 'worker-a', {
        nowMs: 2000,
        nextAttemptAtMs: 3000,
        error,
        claimedAhead: true,
      });
      await store.bury(fourth, 'worker-a', { nowMs: 2000, reason: 'HTTP 404', claimedAhead: true });
      expect(await stored()).toEqual([1, 1, 1, 1, 0]);
      // Released from ahead (it ran, or it never did): back as it was. Released after a counted claim: uncounted.
      expect(await store.release(first, 'worker-a', { nowMs: 2000 })).toBe(true);
      expect(await stored()).toEqual([0, 1, 1, 1, 0]);
      expect(await store.recover(99_000, () => false)).toEqual({ requeued: 1, buried: [] }); // the last one, whose worker crashed
      expect(await store.get(ids[4] ?? -1)).toMatchObject({ status: 'pending', attempts: 0 });
      await claim({ nowMs: 99_000, startNow: 0 });
      expect(await store.release(ids[4] ?? -1, 'worker-a', { nowMs: 99_000, claimedAhead: true })).toBe(true);
      expect(await store.get(ids[4] ?? -1)).toMatchObject({ status: 'pending', attempts: 0 });
    });
    it('buries an item in the dead letter with its reason; retryDead brings one or all back', async () => {
      const ids = (await store.insert([item(), item(), item()])).map((r) => r.item.id);
      await claim();
      for (const id of ids)
        await store.bury(id, 'worker-a', { nowMs: 2000, reason: 'HTTP 404 Not Found', error });
      expect(await store.get(ids[0] ?? -1)).toMatchObject({
        status: 'dead',
        deadReason: 'HTTP 404 Not Found',
        lastError: error,
      });
      expect(await claim({ ignoreSchedule: true })).toEqual([]);
      expect(await store.retryDead(3000, ids[0])).toBe(1);
      expect(await store.get(ids[0] ?? -1)).toMatchObject({
        status: 'pending',
        attempts: 0,
        nextAttemptAtMs: 3000,
      });
      expect((await store.get(ids[0] ?? -1))?.deadReason).toBeUndefined();
      expect(await store.retryDead(3000)).toBe(2);
      expect((await store.counts()).dead).toBe(0);
    });

    it('recovers running items whose worker is gone or whose claim lapsed, and no others', async () => {
      const ids = (await store.insert([item(), item(), item()])).map((r) => r.item.id);
      await claim({ limit: 1, owner: 'crashed', leaseUntilMs: 99_000 });
      await claim({ limit: 1, owner: 'slow', leaseUntilMs: 1500 });
      await claim({ limit: 1, owner: 'alive', leaseUntilMs: 99_000 });
      const recovered = await store.recover(2000, (owner) => owner !== 'crashed');
      expect(recovered).toEqual({ requeued: 2, buried: [] });
      const statuses = await Promise.all(ids.map(async (id) => (await store.get(id))?.status));
      expect(statuses).toEqual(['pending', 'pending', 'running']);
      expect((await store.get(ids[0] ?? -1))?.attempts).toBe(1); // the interrupted attempt still counts
    });

    it('renews claims held by the owner', async () => {
      const [{ item: inserted } = { item: undefined }] = await store.insert([item()]);
      await claim({ leaseUntilMs: 1500 });
      await store.renew([inserted?.id ?? -1], 'worker-a', 90_000);
      await store.renew([inserted?.id ?? -1], 'someone-else', 1);
      expect((await store.get(inserted?.id ?? -1))?.leaseUntilMs).toBe(90_000);
      expect(await store.recover(2000, () => true)).toEqual({ requeued: 0, buried: [] });
    });

    it('in a sweep (lapsed: false), takes back only the items of owners that are gone', async () => {
      const ids = (await store.insert([item(), item()])).map((r) => r.item.id);
      await claim({ limit: 1, owner: 'asleep', leaseUntilMs: 1500 }); // lapsed, but its process lives
      await claim({ limit: 1, owner: 'killed', leaseUntilMs: 99_000 });
      const alive = (owner: string) => owner !== 'killed';
      expect(await store.recover(2000, alive, { lapsed: false })).toEqual({ requeued: 1, buried: [] });
      const statuses = await Promise.all(ids.map(async (id) => (await store.get(id))?.status));
      expect(statuses).toEqual(['running', 'pending']);
      expect(await store.recover(2000, alive)).toEqual({ requeued: 1, buried: [] }); // when a queue starts
    });

    it('recovers an item whose stopped attempt was its last into dead letter, with the reason', async () => {
      const [last, spare] = (await store.insert([item({ maxAttempts: 2 }), item({ maxAttempts: 3 })])).map(
        (r) => r.item.id,
      ) as [number, number];
      const recoveries = [];
      for (const nowMs of [1000, 2000]) {
        await claim({ nowMs, owner: 'crashed' }); // attempt 1, then 2: each time the process dies
        recoveries.push(await store.recover(nowMs + 1, (owner) => owner !== 'crashed'));
      }
      const deadReason =
        'gave up after 2 attempts: the last one never finished (its process stopped, or its claim lapsed)';
      // The recovery that found the last attempt unfinished buried it; the other has an attempt left.
      expect(recoveries.map((r) => [r.requeued, r.buried.map((b) => [b.id, b.deadReason])])).toEqual([
        [2, []],
        [1, [[last, deadReason]]],
      ]);
      expect(await store.get(last)).toMatchObject({ status: 'dead', attempts: 2, deadReason });
      expect((await store.get(last))?.owner).toBeUndefined();
      expect(await store.get(spare)).toMatchObject({ status: 'pending', attempts: 2 });
      await claim({ nowMs: 3000, owner: 'crashed' });
      const recovery = await store.recover(3001, () => false);
      expect(recovery.requeued).toBe(0);
      expect(recovery.buried.map((buried) => [buried.id, buried.status, buried.attempts])).toEqual([
        [spare, 'dead', 3],
      ]);
      expect(await claim({ nowMs: 4000, ignoreSchedule: true })).toEqual([]);
      expect(await store.retryDead(4000)).toBe(2); // and the dead letter gives them back, as any other
      expect((await store.get(last))?.deadReason).toBeUndefined();
    });

    it('counts by status, with the next due time and the oldest pending item', async () => {
      await store.insert([
        item({ nextAttemptAtMs: 7000, createdAtMs: 500 }),
        item({ nextAttemptAtMs: 3000 }),
        item(),
      ]);
      await claim({ limit: 1 });
      expect(await store.counts()).toEqual({
        pending: 2,
        running: 1,
        completed: 0,
        dead: 0,
        total: 3,
        nextDueAtMs: 3000,
        oldestPendingAtMs: 500,
      });
      expect(await store.nextDueAtMs()).toBe(3000);
      await claim({ nowMs: 10_000 });
      expect(await store.nextDueAtMs()).toBeUndefined(); // none pending
    });

    it('lists with filters, in run order', async () => {
      const ids = (await store.insert([item({ kind: 'upload' }), item({ priority: 3 }), item()])).map(
        (r) => r.item.id,
      );
      await claim({ limit: 1 });
      expect((await store.list()).map((i) => i.id)).toEqual([ids[1], ids[0], ids[2]]);
      expect((await store.list({ status: 'pending' })).map((i) => i.id)).toEqual([ids[0], ids[2]]);
      expect((await store.list({ status: ['running'], kind: 'http' })).map((i) => i.id)).toEqual([ids[1]]);
      expect((await store.list({ limit: 1, offset: 1 })).map((i) => i.id)).toEqual([ids[0]]);
    });

    it('removes items that are not running; clears finished ones, or all but running ones', async () => {
      const ids = (await store.insert([item(), item(), item(), item()])).map((r) => r.item.id);
      await claim({ limit: 2 });
      await store.complete(ids[0] ?? -1, 'worker-a', { nowMs: 1000 });
      expect(await store.remove(ids[1] ?? -1)).toBe(false); // running
      expect(await store.remove(ids[2] ?? -1)).toBe(true);
      expect(await store.get(ids[2] ?? -1)).toBeUndefined();
      expect(await store.clear({ includePending: false })).toBe(1);
      expect(await store.clear({ includePending: true })).toBe(1);
      expect((await store.counts()).total).toBe(1); // the running one stays
    });

    it('purges completed items finished before a time', async () => {
      const ids = (await store.insert([item(), item()])).map((r) => r.item.id);
      await claim();
      await store.complete(ids[0] ?? -1, 'worker-a', { nowMs: 1000 });
      await store.complete(ids[1] ?? -1, 'worker-a', { nowMs: 5000 });
      expect(await store.purgeCompleted(3000)).toBe(1);
      expect((await store.list()).map((i) => i.id)).toEqual([ids[1]]);
    });

    it('never reuses the id of a removed item', async () => {
      const [{ item: first } = { item: undefined }] = await store.insert([item()]);
      await store.remove(first?.id ?? -1);
      const [{ item: second } = { item: undefined }] = await store.insert([item()]);
      expect((second?.id ?? 0) > (first?.id ?? 0)).toBe(true);
    });

    it('remembers whether the queue is paused', async () => {
      expect(await store.readPaused()).toBe(false);
      await store.writePaused(true);
      expect(await store.readPaused()).toBe(true);
      if (reopen) {
        await store.close();
        store = await reopen();
        expect(await store.readPaused()).toBe(true);
      }
      await store.writePaused(false);
      expect(await store.readPaused()).toBe(false);
    });

    it('keeps everything across a reopen, when it persists', async () => {
      if (!reopen) return;
      const ids = (await store.insert([item(), item()])).map((r) => r.item.id);
      await claim({ limit: 1 });
      await store.close();
      store = await reopen();
      expect((await store.list()).map((i) => [i.id, i.status])).toEqual([
        [ids[0], 'running'],
        [ids[1], 'pending'],
      ]);
    });
  });
}
