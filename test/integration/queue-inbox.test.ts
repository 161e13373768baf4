import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createDurableQueue } from '../../src/node/durable-queue.js';
import { INBOX_FOLD_AT } from '../../src/node/queue-inbox.js';
import { SqliteQueueStore } from '../../src/node/sqlite-queue-store.js';
import type { NewItem } from '../../src/queue/types.js';
import { newItems } from '../helpers.js';
import { tempDir } from './support/queue-fixtures.js';

const stores: SqliteQueueStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

function openStore(path: string): SqliteQueueStore {
  const store = new SqliteQueueStore({ path, synchronous: 'normal' });
  stores.push(store);
  return store;
}

const fresh = newItems({ keyPrefix: 'generated', kind: 'op', maxAttempts: 3, generatedKey: true });

/** Rows in the inbox table, read by a connection of its own. */
function inboxRows(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT COUNT(*) FROM inbox').pluck().get() as number;
  } finally {
    db.close();
  }
}

describe("the SQLite queue store's inbox", () => {
  it('keeps one id order and run order across appended items, keyed items, batches and processes', async () => {
    const path = join(tempDir(), 'queue.db');
    const agent = openStore(path);
    const cli = openStore(path); // a second connection, as the CLI opens the agent's file
    const ids: number[] = [];
    const add = async (store: SqliteQueueStore, items: NewItem[]) =>
      ids.push(...(await store.insert(items)).map((result) => result.item.id));
    await add(agent, [fresh()]);
    await add(cli, [fresh()]);
    expect(inboxRows(path)).toBe(2);
    await add(agent, [fresh({ idempotencyKey: 'chosen', generatedKey: false })]); // folds, then the keyed table
    expect(inboxRows(path)).toBe(0);
    await add(cli, [fresh()]);
    await add(agent, [fresh(), fresh()]); // a batch of generated keys: appended too
    expect(inboxRows(path)).toBe(3);
    await add(agent, [fresh(), fresh({ idempotencyKey: 'also-chosen', generatedKey: false })]); // folds first
    expect(inboxRows(path)).toBe(0);
    await add(agent, [fresh()]);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);

    // The other connection sees the appended item at once (its read folds the inbox first).
    expect((await cli.get(ids[8] ?? -1))?.status).toBe('pending');
    const claimed = await cli.claim({
      nowMs: 2000,
      limit: 10,
      owner: 'w',
      leaseUntilMs: 9000,
      kinds: ['op'],
    });
    expect(claimed.map((item) => item.id)).toEqual(ids);
  });

  it('answers a repeated caller key with the stored item, wherever the first one went', async () => {
    const path = join(tempDir(), 'queue.db');
    const store = openStore(path);
    const [first] = await store.insert([fresh({ idempotencyKey: 'k-1', generatedKey: true })]); // appended: marked generated
    const [again] = await store.insert([fresh({ idempotencyKey: 'k-1', generatedKey: false })]);
    expect(again).toMatchObject({ inserted: false, item: { id: first?.item.id } });
    expect((await store.counts()).pending).toBe(1);
  });

  it('folds itself when it reaches its limit, so no read waits on a large fold', async () => {
    const path = join(tempDir(), 'queue.db');
    const store = openStore(path);
    for (let i = 0; i < INBOX_FOLD_AT - 1; i++) await store.insert([fresh()]);
    expect(inboxRows(path)).toBe(INBOX_FOLD_AT - 1);
    await store.insert([fresh()]);
    expect(inboxRows(path)).toBe(0);
    expect((await store.counts()).pending).toBe(INBOX_FOLD_AT);
  });

  it('an enqueue whose self-fold fails still succeeds, and the next read folds', async () => {
    const path = join(tempDir(), 'queue.db');
    const store = openStore(path);
    for (let i = 0; i < INBOX_FOLD_AT - 1; i++) await store.insert([fresh()]);
    // The fold after the commit meets a busy database (another process holding the write lock).
    const inbox = (store as unknown as { inbox: { foldTransaction: { immediate(): void } } }).inbox;
    const realFold = inbox.foldTransaction;
    inbox.foldTransaction = {
      immediate: () => {
        throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      },
    };
    const [last] = await store.insert([fresh()]);
    expect(last?.inserted).toBe(true);
    expect(inboxRows(path)).toBe(INBOX_FOLD_AT);
    inbox.foldTransaction = realFold;
    expect((await store.counts()).pending).toBe(INBOX_FOLD_AT);
    expect(inboxRows(path)).toBe(0);
  });

  it('keeps appended items across a process that ends before any fold', async () => {
    const path = join(tempDir(), 'queue.db');
    const writer = new SqliteQueueStore({ path });
    const [{ item } = { item: undefined }] = await writer.insert([fresh({ payload: { text: 'kept' } })]);
    await writer.close();
    expect(inboxRows(path)).toBe(1);
    const reader = openStore(path);
    expect(await reader.get(item?.id ?? -1)).toMatchObject({ status: 'pending', payload: { text: 'kept' } });
  });

  it('takes every enqueue with a generated key, and only those, through the inbox', async () => {
    const path = join(tempDir(), 'queue.db');
    const queue = createDurableQueue({ path, synchronous: 'normal' });
    try {
      const item = await queue.enqueue('op', { n: 1 });
      expect(item.idempotencyKey).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(inboxRows(path)).toBe(1);
      await queue.enqueue('op', { n: 2 }, { idempotencyKey: 'mine' });
      expect(inboxRows(path)).toBe(0);
      expect((await queue.list()).map((item) => item.payload)).toEqual([{ n: 1 }, { n: 2 }]);
    } finally {
      await queue.close();
    }
  });
});
