import { describe, expect, it } from 'vitest';
import type { UploadRecord, UploadStateStore } from '../../src/transfer/upload-state-store.js';

/** The behaviour every UploadStateStore must have. */
export function describeUploadStateStore(
  name: string,
  open: () => { store: UploadStateStore; reopen?: () => UploadStateStore },
) {
  const record = (fingerprint: string, endpoint = 'http://h/files/', offset = 0): UploadRecord => ({
    fingerprint,
    endpoint,
    uploadUrl: `${endpoint}${fingerprint}`,
    size: 1000,
    sha256: 'ab'.repeat(32),
    createdAtMs: 1,
    expiresAtMs: 86_400_000,
    offset,
    updatedAtMs: 2,
  });

  describe(`UploadStateStore contract: ${name}`, () => {
    it('keeps one record per (fingerprint, endpoint), replacing it on put', async () => {
      const { store } = open();
      await store.put(record('a'));
      await store.put(record('a', 'http://other/files/'));
      await store.put(record('a', 'http://h/files/', 500));
      expect(await store.get('a', 'http://h/files/')).toEqual(record('a', 'http://h/files/', 500));
      expect((await store.list()).length).toBe(2);
      expect(await store.get('b', 'http://h/files/')).toBeUndefined();
    });

    it('forgets a record on remove', async () => {
      const { store } = open();
      await store.put(record('a'));
      await store.put(record('a', 'http://other/files/'));
      await store.remove('a', 'http://h/files/');
      expect(await store.get('a', 'http://h/files/')).toBeUndefined();
      // Only that (fingerprint, endpoint): the same file's upload elsewhere stays.
      expect(await store.list()).toEqual([record('a', 'http://other/files/')]);
      await store.remove('a', 'http://other/files/');
      expect(await store.list()).toEqual([]);
    });

    it('notes how far the bytes sent reach on an existing record, until the next put replaces it', async () => {
      const { store } = open();
      await store.put(record('a', 'http://h/files/', 100));
      await store.noteSent('a', 'http://h/files/', 640);
      await store.noteSent('missing', 'http://h/files/', 10); // no record: nothing is created
      expect(await store.get('a', 'http://h/files/')).toEqual({
        ...record('a', 'http://h/files/', 100),
        sentUpToBytes: 640,
      });
      expect(await store.get('missing', 'http://h/files/')).toBeUndefined();
      // Given a time, the record says it was updated then: bytes moved then.
      await store.noteSent('a', 'http://h/files/', 700, 123_456);
      expect(await store.get('a', 'http://h/files/')).toMatchObject({
        sentUpToBytes: 700,
        updatedAtMs: 123_456,
      });
      await store.put(record('a', 'http://h/files/', 700));
      expect(await store.get('a', 'http://h/files/')).toEqual(record('a', 'http://h/files/', 700));
    });

    it('notes what an upload waits for, with or without a record, until cleared', async () => {
      const { store } = open();
      if (!store.noteWait || !store.waits) throw new Error('both stores of lifeline note waits');
      const link = { for: 'link', sinceMs: 1000, retries: 0 } as const;
      const retry = {
        for: 'retry',
        sinceMs: 2000,
        retryAtMs: 3000,
        retries: 2,
        reason: 'connection refused',
      } as const;
      await store.noteWait('a', 'http://h/files/', link); // no record yet: an upload whose creation waits
      await store.noteWait('b', 'http://h/files/', link);
      await store.noteWait('a', 'http://h/files/', retry); // replaces a's
      expect(await store.waits()).toEqual(
        expect.arrayContaining([
          { ...retry, fingerprint: 'a', endpoint: 'http://h/files/' },
          { ...link, fingerprint: 'b', endpoint: 'http://h/files/' },
        ]),
      );
      expect(await store.waits()).toHaveLength(2);
      await store.noteWait('a', 'http://h/files/', undefined);
      expect(await store.waits()).toEqual([{ ...link, fingerprint: 'b', endpoint: 'http://h/files/' }]);
      expect(await store.list()).toEqual([]); // a wait is no record
    });

    it('keeps records across a reopen, when it persists', async () => {
      const { store, reopen } = open();
      if (!reopen) return;
      await store.put(record('kept', 'http://h/files/', 700));
      await store.close?.();
      expect(await reopen().get('kept', 'http://h/files/')).toEqual(record('kept', 'http://h/files/', 700));
    });
  });
}
