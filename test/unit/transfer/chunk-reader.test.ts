import { describe, expect, it } from 'vitest';
import type { ByteSource } from '../../../src/transfer/byte-source.js';
import { ChunkReader } from '../../../src/transfer/chunk-reader.js';

/** A source whose reads finish when the test says, filling the given buffer with the offset's low byte. */
function slowSource(size: number) {
  const reads: Array<{ start: number; end: number; into?: Uint8Array; finish(error?: Error): void }> = [];
  const source: ByteSource = {
    size,
    fingerprint: 'test',
    slice: (start, end, into) =>
      new Promise((resolve, reject) => {
        reads.push({
          start,
          end,
          ...(into ? { into } : {}),
          finish(error) {
            if (error) return reject(error);
            const view = (into as Uint8Array).subarray(0, end - start);
            view.fill(start & 0xff);
            resolve(view);
          },
        });
      }),
    sha256: async () => '',
  };
  return { source, reads };
}

/** A reader of 4-byte chunks whose first chunk has been read (and is on the wire). */
async function firstChunkSent(size: number) {
  const { source, reads } = slowSource(size);
  const reader = new ChunkReader(source, 4);
  const first = reader.read(0);
  reads[0]?.finish();
  await first;
  return { reader, reads };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('ChunkReader', () => {
  it('hands over the chunk read ahead without reading it again', async () => {
    const { source, reads } = slowSource(10);
    const reader = new ChunkReader(source, 4);
    const first = reader.read(0);
    reads[0]?.finish();
    expect(await first).toEqual(Uint8Array.of(0, 0, 0, 0));
    reader.readAhead(4);
    expect(reads.map((read) => read.start)).toEqual([0, 4]);
    reads[1]?.finish();
    expect(await reader.read(4)).toEqual(Uint8Array.of(4, 4, 4, 4));
    expect(reads).toHaveLength(2);
  });

  it('reads into two buffers in turn, never the one still being sent', async () => {
    const { source, reads } = slowSource(12);
    const reader = new ChunkReader(source, 4);
    const buffers: ArrayBufferLike[] = [];
    for (const offset of [0, 4, 8]) {
      const chunk = reader.read(offset);
      (reads.at(-1) as { finish(): void }).finish();
      buffers.push((await chunk).buffer);
    }
    expect(buffers[0]).not.toBe(buffers[1]);
    expect(buffers[2]).toBe(buffers[0]);
  });

  it('when the server stopped elsewhere, lets the read ahead finish before reading the right offset', async () => {
    const { reader, reads } = await firstChunkSent(12);
    reader.readAhead(4);
    const retried = reader.read(2); // the server acknowledged only two bytes of the first chunk
    await settle();
    expect(reads).toHaveLength(2); // the read ahead still owns its buffer: no new read yet
    reads[1]?.finish();
    await settle();
    expect(reads[2]).toMatchObject({ start: 2, end: 6 });
    reads[2]?.finish();
    expect(await retried).toEqual(Uint8Array.of(2, 2, 2, 2));
  });

  it('surfaces a failed read ahead to the read that takes it', async () => {
    const { reader, reads } = await firstChunkSent(8);
    reader.readAhead(4);
    reads[1]?.finish(new Error('the disk is gone'));
    await settle(); // no unhandled rejection while nobody has asked yet
    await expect(reader.read(4)).rejects.toThrow('the disk is gone');
  });

  it('reads nothing ahead past the end, and sizes its buffers to a small source', async () => {
    const { source, reads } = slowSource(3);
    const reader = new ChunkReader(source, 1024);
    const first = reader.read(0);
    expect(reads[0]?.into?.length).toBe(3);
    reads[0]?.finish();
    await first;
    reader.readAhead(3);
    expect(reads).toHaveLength(1);
  });

  it('reads the length asked for; a read ahead that holds it serves a shorter read, one that does not is read again', async () => {
    const { source, reads } = slowSource(20);
    const reader = new ChunkReader(source, 8);
    const first = reader.read(0, 3);
    reads[0]?.finish();
    expect(await first).toEqual(Uint8Array.of(0, 0, 0));
    reader.readAhead(3, 8); // the chunk size changed meanwhile: the next read asks for less
    reads[1]?.finish();
    expect(await reader.read(3, 5)).toEqual(Uint8Array.of(3, 3, 3, 3, 3));
    expect(reads).toHaveLength(2);
    reader.readAhead(8, 2);
    reads[2]?.finish();
    const longer = reader.read(8, 6); // more than was read ahead: read now
    await settle();
    expect(reads.map((read) => [read.start, read.end])).toEqual([
      [0, 3],
      [3, 11],
      [8, 10],
      [8, 14],
    ]);
    reads[3]?.finish();
    expect((await longer).length).toBe(6);
  });
});
