import { describe, expect, it } from 'vitest';
import { ChunkSizer, FIRST_CHUNK_BYTES, MIN_CHUNK_BYTES } from '../../../src/transfer/chunk-sizer.js';

const MiB = 1024 * 1024;

describe('ChunkSizer', () => {
  it('starts small, and on a fast link the second PATCH is a whole chunk', () => {
    const sizer = new ChunkSizer(4 * MiB, 30_000);
    expect(sizer.chunkBytes).toBe(FIRST_CHUNK_BYTES);
    sizer.noteAcknowledged(FIRST_CHUNK_BYTES, 1); // 16 MB/s
    expect(sizer.chunkBytes).toBe(4 * MiB);
  });

  it('on a slow link, sends what is answered within a third of the stall timeout', () => {
    const sizer = new ChunkSizer(4 * MiB, 30_000);
    sizer.noteAcknowledged(FIRST_CHUNK_BYTES, 8_000); // 2 KB/s (16 kbit/s)
    expect(sizer.chunkBytes).toBe(20_480); // 10 s of it
    sizer.noteAcknowledged(20_480, 100_000); // slower still: not below the floor
    expect(sizer.chunkBytes).toBe(MIN_CHUNK_BYTES);
  });

  it('after a stall, sends a third of what arrived meanwhile, or a quarter of the chunk when nothing did', () => {
    const sizer = new ChunkSizer(4 * MiB, 30_000);
    sizer.noteAcknowledged(4 * MiB, 40); // fast: whole chunks
    sizer.noteStalled(8 * MiB);
    sizer.noteServerOffset(11 * MiB); // 3 MiB of the cut PATCH arrived
    expect(sizer.chunkBytes).toBe(MiB);
    sizer.noteStalled(11 * MiB);
    sizer.noteServerOffset(11 * MiB);
    expect(sizer.chunkBytes).toBe(MiB / 4);
    sizer.noteServerOffset(12 * MiB); // after a reset, not a stall: nothing to learn
    expect(sizer.chunkBytes).toBe(MiB / 4);
  });

  it('never goes above the chunk size asked for, even when it is under the floor', () => {
    const sizer = new ChunkSizer(8 * 1024, 30_000);
    expect(sizer.chunkBytes).toBe(8 * 1024);
    sizer.noteStalled(0);
    sizer.noteServerOffset(0);
    expect(sizer.chunkBytes).toBe(8 * 1024);
  });
});
