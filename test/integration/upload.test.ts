import { afterEach, describe, expect, it } from 'vitest';
import {
  BytesSource,
  ChecksumMismatchError,
  LinkHistory,
  MemoryUploadStateStore,
  ResumableUpload,
  TimeoutError,
} from '../../src/index.js';
import { FileSource } from '../../src/node/file-source.js';
import { sleep } from './support/tcp.js';
import { MiB, randomFile, sha256, uploadRig } from './support/upload-fixtures.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function rig(...args: Parameters<typeof uploadRig>) {
  const value = await uploadRig(...args);
  cleanup.push(() => value.close());
  return value;
}

describe('ResumableUpload against @tus/server on real sockets', () => {
  it('resumes after a reset at ~80% and re-sends at most one chunk; the file arrives byte-identical', async () => {
    const size = 20 * MiB;
    const chunkSizeBytes = 1 * MiB;
    const { server, proxy, transport, endpoint } = await rig([
      { name: 'cut', type: 'reset', afterBytes: Math.floor(size * 0.8), direction: 'upstream' },
    ]);
    const file = randomFile(size);
    const upload = new ResumableUpload({
      source: await FileSource.open(file.path),
      endpoint,
      transport,
      chunkSizeBytes,
    });
    const resumed: number[] = [];
    upload.on('resumed', ({ offset }) => resumed.push(offset));
    const result = await upload.start();

    expect(proxy.counters.resetsInjected).toBe(1);
    expect(resumed).toHaveLength(1);
    expect(resumed[0]).toBeGreaterThan(size * 0.7);
    const resentBytes = proxy.counters.bytesUpstream - size;
    expect(resentBytes).toBeLessThanOrEqual(chunkSizeBytes + 64 * 1024); // one chunk, plus request headers
    const [stored] = server.uploads();
    expect(stored).toMatchObject({ size, sha256: sha256(file.bytes), verified: true });
    expect(result.sha256).toBe(sha256(file.bytes));
  });

  it('keeps one connection for the whole upload, so its congestion window stays warm', async () => {
    const { proxy, transport, endpoint } = await rig();
    const file = randomFile(8 * MiB);
    const upload = new ResumableUpload({
      source: await FileSource.open(file.path),
      endpoint,
      transport,
      chunkSizeBytes: 1 * MiB,
    });
    await upload.start();
    expect(proxy.counters.connectionsAccepted).toBe(1);
  });

  it('paces at the bottleneck once a connection was lost, so the next reset throws away little', async () => {
    const size = 12 * MiB;
    const file = randomFile(size);
    const resent = new Map<string, number>();
    // `next`: a second upload over the same link, sharing the LinkHistory of the `true` one before it.
    const history = new LinkHistory();
    const modes = [
      ['never', false],
      ['afterLoss', true],
      ['next', true],
      ['always', 'always'],
    ] as const;
    for (const [mode, pacing] of modes) {
      // Every connection is reset after 35% of the file: two resets, at about 35% and 70%.
      const { transport, endpoint } = await rig([
        { name: 'link', type: 'bandwidth', bytesPerSecond: 8 * MiB, direction: 'upstream' },
        { name: 'cut', type: 'reset', afterBytes: Math.floor(size * 0.35), direction: 'upstream' },
      ]);
      const upload = new ResumableUpload({
        source: await FileSource.open(file.path),
        endpoint,
        transport,
        chunkSizeBytes: 2 * MiB,
        pacing,
        linkHistory: pacing === true ? history : new LinkHistory(), // never the process's: runs stay apart
      });
      const result = await upload.start();
      // What the client sent beyond the file: bytes queued on the way (here, in the proxy) at each reset.
      resent.set(mode, result.bytesSent - size);
    }
    const [never, afterLoss, next, always] = modes.map(([mode]) => resent.get(mode) ?? 0) as [
      number,
      number,
      number,
      number,
    ];
    expect(never).toBeGreaterThan(1024 * 1024); // two resets, each throwing away a full queue
    expect(always).toBeLessThan(never / 3); // paced throughout: both resets cheap
    // The first reset full price, the second cheap (unpaced, the second costs a halved PATCH's queue:
    // 2.75 MB in all against 2.0–2.1 MB paced).
    expect(afterLoss).toBeLessThan(never * 0.9);
    expect(afterLoss).toBeGreaterThan(always);
    expect(next).toBeLessThan(never / 3); // the link's history paced it from the start: both resets cheap
  });

  it('halves its PATCHes once a reset threw bytes away, so the next reset has less to throw', async () => {
    // An 8 MB/s bottleneck: unpaced, a 2 MiB PATCH waits in the proxy's queue ahead of it, and each
    // reset (every connection after 3.5 MiB, mid-PATCH) loses what is queued there.
    const { server, transport, endpoint } = await rig([
      { name: 'link', type: 'bandwidth', bytesPerSecond: 8 * MiB, direction: 'upstream' },
      { name: 'cut', type: 'reset', afterBytes: 3.5 * MiB, direction: 'upstream' },
    ]);
    const file = randomFile(12 * MiB);
    const patches: Array<{ bytes: number; afterResumes: number }> = [];
    let resumes = 0;
    const upload = new ResumableUpload({
      source: await FileSource.open(file.path),
      endpoint,
      transport: (request) => {
        if (request.method === 'PATCH')
          patches.push({ bytes: request.bodyLength ?? 0, afterResumes: resumes });
        return transport(request);
      },
      chunkSizeBytes: 2 * MiB,
      pacing: false, // the sizes alone
      linkHistory: new LinkHistory(), // what this upload learns alone
    });
    upload.on('resumed', () => resumes++);
    const result = await upload.start();

    expect(resumes).toBeGreaterThanOrEqual(2);
    const largest = (resumed: number) =>
      Math.max(...patches.filter((patch) => patch.afterResumes === resumed).map((patch) => patch.bytes));
    expect(largest(0)).toBe(2 * MiB); // whole chunks until the first reset
    expect(largest(1)).toBe(MiB); // half the chunk since
    expect(largest(2)).toBe(MiB / 2); // and half again: a quarter of the chunk is as small as it gets
    expect(server.uploads()[0]?.sha256).toBe(sha256(file.bytes));
    expect(result.bytesSent).toBeGreaterThan(file.bytes.length); // the resets did throw bytes away
  });

  it('detects a stall mid-chunk, cuts it, and resumes', async () => {
    const { server, proxy, transport, endpoint } = await rig([
      { name: 'stall', type: 'stall', afterBytes: 3 * MiB, direction: 'upstream' },
    ]);
    const file = randomFile(6 * MiB);
    const upload = new ResumableUpload({
      source: await FileSource.open(file.path),
      endpoint,
      transport,
      stallTimeoutMs: 800,
    });
    const stalls: number[] = [];
    upload.on('stalled', ({ offset }) => {
      stalls.push(offset);
      proxy.removeToxic('stall');
    });
    await upload.start();
    expect(stalls).toHaveLength(1);
    expect(server.uploads()[0]?.sha256).toBe(sha256(file.bytes));
  });

  it('on a slow link, sizes its PATCHes to the rate: none looks stalled, nothing is sent twice', async () => {
    // 40 KB/s with a 2 s stall timeout is 16 kbit/s with the default 30 s, scaled to a test's length.
    const { server, transport, endpoint } = await rig([
      { type: 'bandwidth', bytesPerSecond: 40_000, direction: 'upstream' },
    ]);
    const file = randomFile(240_000); // one 4 MiB chunk: sent whole, it took 6 s and was cut as stalled
    const upload = new ResumableUpload({
      source: await FileSource.open(file.path),
      endpoint,
      transport,
      stallTimeoutMs: 2000,
    });
    const stalls: number[] = [];
    upload.on('stalled', ({ offset }) => stalls.push(offset));
    const result = await upload.start();
    expect(stalls).toEqual([]);
    expect(result.bytesSent).toBe(file.bytes.length);
    expect(server.uploads()[0]?.sha256).toBe(sha256(file.bytes));
  }, 30_000);

  it('a black hole ends in a timeout, not a hang', async () => {
    const { transport, endpoint } = await rig([{ type: 'blackhole', direction: 'upstream' }]);
    const upload = new ResumableUpload({
      source: new BytesSource(new Uint8Array(1000)),
      endpoint,
      transport,
      requestTimeoutMs: 400,
      stallTimeoutMs: 400,
      maxAttempts: 2,
      backoff: { delayMs: () => 50, maxDelayMs: 50 },
    });
    const started = Date.now();
    await expect(upload.start()).rejects.toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('holds a 1 MB/s limit within 10% over a multi-second upload', async () => {
    const { server, transport, endpoint } = await rig();
    const limit = 1024 * 1024;
    const file = randomFile(4 * MiB);
    const upload = new ResumableUpload({
      source: await FileSource.open(file.path),
      endpoint,
      transport,
      bytesPerSecond: limit,
    });
    const result = await upload.start();
    const measured = result.size / (result.durationMs / 1000);
    expect(measured).toBeGreaterThan(limit * 0.9);
    expect(measured).toBeLessThan(limit * 1.1);
    expect(server.uploads()).toHaveLength(1);
  });

  it('starts cleanly anew when the server let the partial upload expire', async () => {
    const { server, transport, endpoint } = await rig([], {
      uploadExpirationMs: 1000,
      uploadSweepIntervalMs: 200,
    });
    const file = randomFile(3 * MiB);
    const stateStore = new MemoryUploadStateStore();
    const first = new ResumableUpload({
      source: await FileSource.open(file.path),
      endpoint,
      transport,
      stateStore,
      chunkSizeBytes: MiB,
    });
    first.on('chunkAcknowledged', () => void first.abort());
    await first.start().catch(() => {});
    const firstUrl = first.url;
    await sleep(2000);

    const second = new ResumableUpload({
      source: await FileSource.open(file.path),
      endpoint,
      transport,
      stateStore,
      chunkSizeBytes: MiB,
    });
    const expired: string[] = [];
    second.on('expired', ({ url }) => expired.push(url));
    const result = await second.start();
    expect(expired).toEqual([firstUrl]);
    expect(result.resumedFromOffset).toBe(0);
    expect(result.url).not.toBe(firstUrl);
    expect(server.uploads().map((upload) => upload.sha256)).toEqual([sha256(file.bytes)]);
  });

  it('reports a checksum mismatch naming both hashes, and the server keeps nothing', async () => {
    const { server, transport, endpoint } = await rig();
    const bytes = new Uint8Array(300_000).fill(7);
    const source = new BytesSource(bytes);
    const lie = 'f'.repeat(64);
    source.sha256 = async () => lie;
    const error = await new ResumableUpload({ source, endpoint, transport })
      .start()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect((error as Error).message).toContain(lie);
    expect((error as Error).message).toContain(sha256(bytes));
    expect(server.uploads()).toEqual([]);
  });

  it('a size the server refuses (413) fails at once with a clear error', async () => {
    const { transport, endpoint } = await rig([], { maxUploadBytes: MiB });
    const upload = new ResumableUpload({
      source: new BytesSource(new Uint8Array(2 * MiB)),
      endpoint,
      transport,
    });
    const started = Date.now();
    const error = await upload.start().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 413 });
    expect((error as Error).message).toMatch(/up to 1\.0 MB; this one is 2\.0 MB/);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
