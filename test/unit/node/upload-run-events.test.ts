import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type UploadRunEvents, uploadHandler, uploadOperation } from '../../../src/node/upload-operation.js';
import type { HandlerContext } from '../../../src/queue/handler.js';
import type { QueueItem } from '../../../src/queue/types.js';
import type { ResumableUploadOptions } from '../../../src/transfer/resumable-upload.js';
import { MemoryUploadStateStore } from '../../../src/transfer/upload-state-store.js';
import { MemoryTusServer } from '../transfer/memory-tus.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The upload handler of a queue, on a file of `size` bytes, with its run events recorded. */
function setup(size: number, connectivity?: ResumableUploadOptions['connectivity'], stopping?: AbortSignal) {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-run-events-'));
  dirs.push(dir);
  const path = join(dir, 'data.bin');
  writeFileSync(path, Buffer.alloc(size, 7));
  const server = new MemoryTusServer();
  const stateStore = new MemoryUploadStateStore();
  const { handler, events } = uploadHandler({
    stateStore,
    transport: server.transport,
    ...(connectivity ? { connectivity } : {}),
  });
  const seen: Array<{ event: keyof UploadRunEvents; completed?: boolean }> = [];
  events.on('started', () => seen.push({ event: 'started' }));
  events.on('ended', ({ completed }) => seen.push({ event: 'ended', completed }));
  const operation = uploadOperation(path, 'http://tus.test/files/');
  const item = { id: 7, kind: 'upload', payload: operation } as QueueItem;
  const context: HandlerContext = {
    item,
    idempotencyKey: 'k',
    attempt: 1,
    signal: new AbortController().signal,
    ...(stopping ? { stopping } : {}),
  };
  return { server, stateStore, run: async () => handler(operation, context), seen };
}

describe('the upload handler tells views when a run ends', () => {
  it('ended, completed, after an upload that finished', async () => {
    const { run, seen } = setup(10_000);
    await expect(run()).resolves.toMatchObject({ size: 10_000 });
    expect(seen).toEqual([{ event: 'started' }, { event: 'ended', completed: true }]);
  });

  it('ended, not completed, after an upload the server refused (the view drops its bar)', async () => {
    const { server, run, seen } = setup(10_000);
    server.fail({ type: 'status', status: 403, body: 'forbidden' });
    await expect(run()).rejects.toThrow();
    expect(seen).toEqual([{ event: 'started' }, { event: 'ended', completed: false }]);
  });
});

describe('the upload handler notes what a running upload waits for', () => {
  it('notes a wait for the link while it is down, and clears it once bytes move', async () => {
    let goOnline: () => void = () => {};
    const link = {
      state: 'offline',
      waitForOnline: () =>
        new Promise<void>((resolve) => {
          goOnline = () => {
            link.state = 'online';
            resolve();
          };
        }),
    };
    const { run, stateStore, server } = setup(10_000, link);
    const running = run();
    // The file is opened and hashed first; then the gate finds the link down.
    await vi.waitFor(async () =>
      expect(await stateStore.waits()).toEqual([
        expect.objectContaining({ for: 'link', retries: 0, endpoint: 'http://tus.test/files/' }),
      ]),
    );
    goOnline();
    await running;
    expect(server.uploads.size).toBe(1);
    expect(await stateStore.waits()).toEqual([]);
  });

  it('ends at once when the queue begins to stop while it waits, not after the grace period', async () => {
    const link = {
      state: 'offline',
      // As the connectivity monitor does: the wait ends when the upload's own signal aborts.
      waitForOnline: ({ signal }: { signal?: AbortSignal } = {}) =>
        new Promise<void>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason))),
    };
    const stopping = new AbortController();
    const { run, stateStore, server } = setup(10_000, link, stopping.signal);
    const running = run();
    await vi.waitFor(async () => expect(await stateStore.waits()).toHaveLength(1));
    stopping.abort(new Error('the queue is stopping'));
    await expect(running).rejects.toThrow();
    expect(server.uploads.size).toBe(0);
  });
});
