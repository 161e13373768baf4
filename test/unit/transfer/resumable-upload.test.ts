import { describe, expect, it } from 'vitest';
import {
  BytesSource,
  ByteThrottle,
  ChecksumMismatchError,
  constantBackoff,
  FakeClock,
  MemoryUploadStateStore,
  ResumableUpload,
  type ResumableUploadOptions,
  type TusTransport,
} from '../../../src/index.js';
import { track } from '../../helpers.js';
import { MemoryTusServer } from './memory-tus.js';

const KiB = 1024;
const bytes = (size: number) => Uint8Array.from({ length: size }, (_, i) => (i * 7 + 3) & 0xff);

/** Hashing uses real crypto (not the fake clock): hash up front so timers alone drive the upload. */
async function setup(size: number, options: Partial<ResumableUploadOptions> = {}) {
  const clock = (options.clock as FakeClock | undefined) ?? new FakeClock();
  const server = new MemoryTusServer();
  const content = bytes(size);
  const source = new BytesSource(content, { name: 'notes.bin' });
  await source.sha256();
  const upload = new ResumableUpload({
    source,
    endpoint: 'http://tus.test/files/',
    transport: server.transport,
    chunkSizeBytes: 64 * KiB,
    backoff: constantBackoff(1000),
    clock,
    ...options,
  });
  return { clock, server, content, upload };
}

const stored = (server: MemoryTusServer) => Uint8Array.from([...server.uploads.values()][0]?.data ?? []);

describe('ResumableUpload', () => {
  it('creates the upload with its metadata and sends it in chunks', async () => {
    const { server, content, upload } = await setup(200 * KiB);
    const acks: number[] = [];
    upload.on('chunkAcknowledged', ({ offset }) => acks.push(offset));
    const result = await upload.start();
    expect(stored(server)).toEqual(content);
    // The first PATCH is 16 KiB (until the link shows its rate), then whole chunks.
    expect(acks).toEqual([16 * KiB, 80 * KiB, 144 * KiB, 200 * KiB]);
    expect([...server.uploads.values()][0]?.metadata).toMatchObject({
      filename: 'notes.bin',
      sha256: result.sha256,
    });
    expect(result).toMatchObject({
      size: 200 * KiB,
      bytesSent: 200 * KiB,
      resumedFromOffset: 0,
      url: 'http://tus.test/files/u1',
    });
    expect(server.requests.slice(0, 3)).toEqual(['OPTIONS /files/', 'POST /files/', 'PATCH /files/u1']);
  });

  it('after a reset mid-chunk, asks the server its offset and re-sends only what it lacks', async () => {
    const { clock, server, content, upload } = await setup(256 * KiB);
    server.fail({ type: 'resetAfter', bytes: 10 * KiB });
    const result = track(upload.start());
    await clock.runAll();
    expect(stored(server)).toEqual(content);
    expect(server.requests).toContain('HEAD /files/u1');
    // the 10 KiB the server kept were not sent again
    expect(server.patchBytesReceived).toBe(256 * KiB);
    expect(result.value?.bytesSent).toBeLessThanOrEqual(256 * KiB + 64 * KiB);
  });

  it('stores what the server kept of a cut chunk as soon as it reads it, not after the next chunk', async () => {
    const recorded: number[] = [];
    const stateStore = new (class extends MemoryUploadStateStore {
      override async put(record: Parameters<MemoryUploadStateStore['put']>[0]) {
        recorded.push(record.offset);
        await super.put(record);
      }
    })();
    const { clock, server, upload } = await setup(256 * KiB, { stateStore });
    server.fail({ type: 'resetAfter', bytes: 10 * KiB });
    track(upload.start());
    await clock.runAll();
    // created at 0, then the HEAD after the reset read 10 KiB: stored before the next PATCH answered
    expect(recorded.slice(0, 3)).toEqual([0, 10 * KiB, 10 * KiB + 16 * KiB]);
  });

  it('resets the attempt counter whenever the offset advances', async () => {
    const { clock, server, content, upload } = await setup(8 * 64 * KiB, { maxAttempts: 2 });
    // one failure per chunk, with progress in between: never two in a row without progress
    for (let i = 0; i < 8; i++) server.fail({ type: 'resetAfter', bytes: 1000 });
    const result = track(upload.start());
    await clock.runAll();
    expect(result.error).toBeUndefined();
    expect(stored(server)).toEqual(content);
  });

  it('gives up after maxAttempts failures without progress, with the last error', async () => {
    const { clock, server, upload } = await setup(64 * KiB, { maxAttempts: 3 });
    server.fail(...Array.from({ length: 5 }, () => ({ type: 'status' as const, status: 503 })));
    const result = track(upload.start());
    await clock.runAll();
    expect(result.error).toMatchObject({ status: 503 });
    expect(upload.state).toBe('failed');
    // Retried, and stopped at the limit: 3 of the 5 failures were met.
    expect(server.requests.filter((request) => request.startsWith('PATCH'))).toHaveLength(3);
  });

  it('detects a stall, cuts the request, and resumes', async () => {
    const { clock, server, content, upload } = await setup(128 * KiB, { stallTimeoutMs: 5000 });
    server.fail({ type: 'stall', afterBytes: 10 * KiB }); // within the first PATCH (16 KiB)
    const stalls: number[] = [];
    upload.on('stalled', ({ offset }) => stalls.push(offset));
    const retries: string[] = [];
    upload.on('retry', ({ failure }) => retries.push(`${failure.kind}: ${failure.message}`));
    const result = track(upload.start());
    await clock.advance(4999);
    expect(stalls).toEqual([]);
    await clock.advance(1);
    expect(stalls).toEqual([0]);
    await clock.runAll();
    expect(retries).toEqual(['timeout: upload stalled: no bytes moved for 5.0s after 0 B sent']);
    expect(result.value?.size).toBe(128 * KiB);
    expect(stored(server)).toEqual(content);
  });

  it('resumes a known upload after a restart from the server offset, never from zero', async () => {
    const stateStore = new MemoryUploadStateStore();
    const { clock, server, content, upload: first } = await setup(256 * KiB, { stateStore });
    first.on('chunkAcknowledged', ({ offset }) => {
      if (offset === 80 * KiB) void first.abort(); // the process "dies" after two chunks (16 + 64 KiB)
    });
    await first.start().catch(() => {});
    const record = await stateStore.get(first.source.fingerprint, first.endpoint);
    expect(record?.offset).toBe(80 * KiB);

    const resumed = new ResumableUpload({
      source: first.source,
      endpoint: 'http://tus.test/files/',
      transport: server.transport,
      chunkSizeBytes: 64 * KiB,
      stateStore,
      clock,
    });
    const events: Array<{ offset: number; reason: string }> = [];
    resumed.on('resumed', (event) => events.push({ offset: event.offset, reason: event.reason }));
    const result = await resumed.start();
    expect(events).toEqual([{ offset: 80 * KiB, reason: 'restart' }]);
    expect(result).toMatchObject({
      resumedFromOffset: 80 * KiB,
      bytesSent: 176 * KiB,
      url: record?.uploadUrl,
    });
    expect(server.uploads.size).toBe(1); // the same server upload, not a second one
    expect(stored(server)).toEqual(content);
    expect(await stateStore.list()).toEqual([]); // forgotten once complete
  });

  it('starts cleanly anew when the server lost the upload (expired)', async () => {
    const stateStore = new MemoryUploadStateStore();
    const { server, content, upload } = await setup(64 * KiB, { stateStore });
    await stateStore.put({
      fingerprint: upload.source.fingerprint,
      endpoint: upload.endpoint,
      uploadUrl: 'http://tus.test/files/gone',
      size: 64 * KiB,
      sha256: await upload.source.sha256(),
      createdAtMs: 0,
      offset: 1000,
      updatedAtMs: 0,
    });
    const expired: string[] = [];
    upload.on('expired', ({ url }) => expired.push(url));
    const result = await upload.start();
    expect(expired).toEqual(['http://tus.test/files/gone']);
    expect(result.resumedFromOffset).toBe(0);
    expect(stored(server)).toEqual(content);
  });

  it('asks the server again after a 409 offset mismatch', async () => {
    const { clock, server, content, upload } = await setup(128 * KiB);
    server.fail({ type: 'status', status: 409 });
    const result = track(upload.start());
    await clock.runAll();
    expect(result.value?.size).toBe(128 * KiB);
    expect(server.requests.filter((request) => request.startsWith('HEAD'))).toHaveLength(1);
    expect(stored(server)).toEqual(content);
  });

  it('stops feeding a PATCH body the server answered before reading it all', async () => {
    const server = new MemoryTusServer();
    let early: AsyncIterator<Uint8Array> | undefined;
    const transport: TusTransport = async (request) => {
      if (request.method === 'PATCH' && !early && request.body) {
        early = request.body[Symbol.asyncIterator]();
        await early.next(); // one slice read, then an answer: the rest of the body is never read
        return { status: 409, header: () => null, text: async () => '' };
      }
      return server.transport(request);
    };
    const { clock, upload } = await setup(256 * KiB, { transport, chunkSizeBytes: 256 * KiB });
    const result = track(upload.start());
    await clock.runAll();
    expect(result.value?.size).toBe(256 * KiB);
    // Its chunk's buffer has been refilled since: the answered request must get nothing more from it.
    expect(await early?.next()).toEqual({ done: true, value: undefined });
  });

  it('reports a refused size (413) and a checksum mismatch clearly, without retrying them', async () => {
    const tooBig = await setup(64 * KiB);
    tooBig.server.fail({ type: 'status', status: 413 });
    await expect(tooBig.upload.start()).rejects.toMatchObject({ status: 413 });

    const mismatch = await setup(16 * KiB); // one PATCH, the last: its 460 is the whole file's
    mismatch.server.fail({ type: 'status', status: 460, body: 'sha256 mismatch: expected aaa, got bbb' });
    const error = await mismatch.upload.start().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect((error as Error).message).toContain('expected aaa, got bbb');
    expect(mismatch.server.requests.filter((request) => request.startsWith('PATCH'))).toHaveLength(1);
  });

  it('backs off and gives up on an outage-like error when no monitor says the link is down', async () => {
    let calls = 0;
    const transport: TusTransport = async () => {
      calls++;
      throw Object.assign(new Error('getaddrinfo ENOTFOUND tus.test'), { code: 'ENOTFOUND' });
    };
    const { clock, upload } = await setup(64 * KiB, { transport, maxAttempts: 3 });
    const retries: number[] = [];
    upload.on('retry', ({ attempt }) => retries.push(attempt));
    const result = track(upload.start());
    await clock.runAll();
    expect(result.error).toMatchObject({ code: 'ENOTFOUND' });
    expect(retries).toEqual([1, 2]);
    expect(calls).toBe(3);
  });

  it('waits for the link instead of spending attempts while offline', async () => {
    let state = 'offline';
    const waits: number[] = [];
    let wake: () => void = () => {};
    const connectivity = {
      get state() {
        return state;
      },
      waitForOnline: () => {
        waits.push(1);
        return new Promise<void>((resolve) => {
          wake = resolve;
        });
      },
    };
    const { clock, server, content, upload } = await setup(64 * KiB, {
      connectivity,
      maxAttempts: 1,
      bytesPerSecond: 16 * KiB,
    });
    const rates: number[] = [];
    upload.on('progress', (progress) => rates.push(progress.bytesPerSecond));
    const result = track(upload.start());
    await clock.advance(60_000);
    expect(waits).toHaveLength(1);
    expect(server.requests).toEqual([]);
    state = 'online';
    wake();
    await clock.runAll();
    expect(result.value?.size).toBe(64 * KiB);
    expect(stored(server)).toEqual(content);
    // The rate counts from the first bytes, not from before the minute's wait (that read ~1 KB/s).
    expect(rates[0]).toBeGreaterThan(12 * KiB);
  });

  it('pauses (cutting the request in flight) and resumes from the server offset', async () => {
    const { clock, server, content, upload } = await setup(256 * KiB, { bytesPerSecond: 64 * KiB });
    const result = track(upload.start());
    await clock.advance(1500);
    upload.pause();
    await clock.settle();
    const heldAt = server.patchBytesReceived;
    await clock.advance(10_000);
    expect(server.patchBytesReceived).toBe(heldAt);
    expect(upload.state).toBe('paused');
    upload.resume();
    await clock.runAll();
    expect(result.value?.size).toBe(256 * KiB);
    expect(stored(server)).toEqual(content);
  });

  it('holds a bandwidth limit, changeable while it runs, and shares a global one', async () => {
    const { clock, server, upload } = await setup(512 * KiB, { bytesPerSecond: 128 * KiB });
    const result = track(upload.start());
    await clock.advance(2000);
    expect(server.patchBytesReceived).toBeGreaterThan(230 * KiB);
    expect(server.patchBytesReceived).toBeLessThan(290 * KiB);
    upload.setBytesPerSecond(32 * KiB);
    const before = server.patchBytesReceived;
    await clock.advance(2000);
    expect(server.patchBytesReceived - before).toBeLessThan(90 * KiB);
    upload.setBytesPerSecond(undefined);
    await clock.runAll();
    expect(result.value?.size).toBe(512 * KiB);
  });

  it('reports progress within a chunk, before the server acknowledges it', async () => {
    const { clock, upload } = await setup(200 * KiB, { chunkSizeBytes: 128 * KiB, bytesPerSecond: 64 * KiB });
    const events: Array<{ sentUpTo: number; acknowledged: number; sent: number }> = [];
    upload.on('progress', (p) =>
      events.push({ sentUpTo: p.sentUpToBytes, acknowledged: p.bytesAcknowledged, sent: p.bytesSent }),
    );
    const result = track(upload.start());
    await clock.advance(1000); // a second in: into the second chunk (the first is 16 KiB), at 64 KiB/s
    const midChunk = events.at(-1);
    expect(midChunk?.acknowledged).toBe(16 * KiB);
    expect(midChunk?.sentUpTo).toBeGreaterThan(32 * KiB);
    expect(midChunk?.sentUpTo).toBeLessThanOrEqual(128 * KiB);
    expect(midChunk?.sentUpTo).toBe(midChunk?.sent); // nothing sent twice yet
    await clock.runAll();
    expect(result.value?.size).toBe(200 * KiB);
    expect(events.at(-1)).toMatchObject({ sentUpTo: 200 * KiB, acknowledged: 200 * KiB });
    // Never behind what the server has, never past the file.
    expect(events.every((e) => e.sentUpTo >= e.acknowledged && e.sentUpTo <= 200 * KiB)).toBe(true);
  });

  it('shares a global limit between uploads', async () => {
    const clock = new FakeClock();
    const shared = new ByteThrottle({ bytesPerSecond: 100 * KiB, clock });
    const one = await setup(400 * KiB, { throttle: shared, clock });
    const two = await setup(400 * KiB, { throttle: shared, clock });
    void one.upload.start();
    void two.upload.start();
    await clock.advance(2000);
    const together = one.server.patchBytesReceived + two.server.patchBytesReceived;
    expect(together).toBeGreaterThan(180 * KiB);
    expect(together).toBeLessThan(230 * KiB);
    expect(Math.min(one.server.patchBytesReceived, two.server.patchBytesReceived)).toBeGreaterThan(60 * KiB);
    await one.upload.abort();
    await two.upload.abort();
  });

  it('aborts, and with terminate deletes the upload on the server and forgets it', async () => {
    const stateStore = new MemoryUploadStateStore();
    const { clock, server, upload } = await setup(512 * KiB, { bytesPerSecond: 64 * KiB, stateStore });
    const result = track(upload.start());
    await clock.advance(1000);
    await upload.abort({ terminate: true });
    await clock.settle();
    expect(result.error).toBeInstanceOf(DOMException);
    expect(upload.state).toBe('aborted');
    expect(server.uploads.size).toBe(0);
    expect(await stateStore.list()).toEqual([]);
  });

  it('aborted before it starts, it sends nothing and does not even hash the file', async () => {
    const server = new MemoryTusServer();
    const source = new BytesSource(bytes(64 * KiB));
    let hashed = 0;
    const sha256 = source.sha256.bind(source);
    source.sha256 = () => {
      hashed++;
      return sha256();
    };
    const upload = new ResumableUpload({
      source,
      endpoint: 'http://tus.test/files/',
      transport: server.transport,
    });
    await upload.abort();
    await expect(upload.start()).rejects.toBeInstanceOf(DOMException);
    expect(upload.state).toBe('aborted');
    expect(hashed).toBe(0);
    expect(server.requests).toEqual([]);
  });

  it('refuses bad options', async () => {
    await expect(setup(10, { chunkSizeBytes: 0 })).rejects.toThrow(/chunkSizeBytes must be an integer ≥ 1/);
    await expect(setup(10, { endpoint: 'not a url' })).rejects.toThrow(TypeError);
  });
});
