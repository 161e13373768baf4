import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/index.js';
import { ChunkSizer, FIRST_CHUNK_BYTES, MIN_CHUNK_BYTES } from '../../../src/transfer/chunk-sizer.js';
import { LinkHistory } from '../../../src/transfer/link-history.js';

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
    sizer.noteStalled();
    sizer.noteCut(8 * MiB, 4 * MiB);
    sizer.noteServerOffset(11 * MiB); // 3 MiB of the cut PATCH arrived
    expect(sizer.chunkBytes).toBe(MiB);
    sizer.noteStalled();
    sizer.noteCut(11 * MiB, MiB);
    sizer.noteServerOffset(11 * MiB);
    expect(sizer.chunkBytes).toBe(MiB / 4);
    sizer.noteServerOffset(12 * MiB); // after a reset, not a stall: nothing to learn
    expect(sizer.chunkBytes).toBe(MiB / 4);
  });

  it('never goes above the chunk size asked for, even when it is under the floor', () => {
    const sizer = new ChunkSizer(8 * 1024, 30_000);
    expect(sizer.chunkBytes).toBe(8 * 1024);
    sizer.noteStalled();
    sizer.noteCut(0, 8 * 1024);
    sizer.noteServerOffset(0);
    expect(sizer.chunkBytes).toBe(8 * 1024);
  });

  it('halves PATCHes for each cut that lost bytes, down to a quarter of the chunk size', () => {
    const sizer = new ChunkSizer(4 * MiB, 30_000);
    sizer.noteAcknowledged(FIRST_CHUNK_BYTES, 1.5, 1); // a round trip of 1 ms
    sizer.noteAcknowledged(4 * MiB, 20, 2); // 200 KB/ms: 0.8 MB in 4 round trips
    expect(sizer.chunkBytes).toBe(4 * MiB);
    sizer.noteCut(4 * MiB, 3 * MiB);
    sizer.noteServerOffset(6 * MiB); // 2 MiB of 3 kept: 1 MiB lost
    expect(sizer.chunkBytes).toBe(1.5 * MiB); // half of what was in flight
    sizer.noteAcknowledged(1.5 * MiB, 8, 1); // fast again: still not above the lowered size
    expect(sizer.chunkBytes).toBe(1.5 * MiB);
    for (let cut = 0; cut < 4; cut++) {
      sizer.noteCut(6 * MiB, sizer.chunkBytes);
      sizer.noteServerOffset(6 * MiB); // all of it lost
    }
    expect(sizer.chunkBytes).toBe(MiB);
  });

  it('after losses, still sends what the link carries in four round trips', () => {
    const sizer = new ChunkSizer(4 * MiB, 30_000);
    sizer.noteAcknowledged(4 * MiB, 200, 100); // 20 KB/ms, a round trip of 100 ms: 8 MB in four
    sizer.noteCut(4 * MiB, 4 * MiB);
    sizer.noteServerOffset(4 * MiB);
    expect(sizer.chunkBytes).toBe(4 * MiB);
  });

  it('with a shared link history, the next upload to the server starts at the lowered size', async () => {
    const clock = new FakeClock();
    const history = new LinkHistory({ clock, lossMemoryMs: 10 * 60_000 });
    const link = { history, origin: 'http://a.test' };
    const first = new ChunkSizer(4 * MiB, 30_000, link);
    first.noteAcknowledged(4 * MiB, 20, 2);
    first.noteCut(0, 4 * MiB);
    first.noteServerOffset(0);
    expect(first.chunkBytes).toBe(2 * MiB);
    const next = new ChunkSizer(4 * MiB, 30_000, link);
    next.noteAcknowledged(FIRST_CHUNK_BYTES, 1, 1);
    expect(next.chunkBytes).toBe(2 * MiB);
    const larger = new ChunkSizer(64 * MiB, 30_000, link); // never below its own quarter
    larger.noteAcknowledged(FIRST_CHUNK_BYTES, 0, 0);
    expect(larger.chunkBytes).toBe(16 * MiB);
    const elsewhere = new ChunkSizer(4 * MiB, 30_000, { history, origin: 'http://b.test' });
    elsewhere.noteAcknowledged(FIRST_CHUNK_BYTES, 1, 1);
    expect(elsewhere.chunkBytes).toBe(4 * MiB);
    await clock.advance(10 * 60_000 + 1); // no cut for longer than the history remembers: whole chunks again
    const later = new ChunkSizer(4 * MiB, 30_000, link);
    later.noteAcknowledged(FIRST_CHUNK_BYTES, 1, 1);
    expect(later.chunkBytes).toBe(4 * MiB);
  });

  it('sizes PATCHes in whole bytes, whatever the rates and chunk size (reads ahead are keyed by offset)', () => {
    const sizer = new ChunkSizer(1_000_002, 30_000);
    sizer.noteAcknowledged(FIRST_CHUNK_BYTES, 40, 30); // a round trip of 30 ms
    sizer.noteAcknowledged(1_000_002, 300, 30); // 3,333.34 bytes/ms: 400,000.8 bytes in 4 round trips
    for (let cut = 0; cut < 3; cut++) {
      sizer.noteCut(0, sizer.chunkBytes);
      sizer.noteServerOffset(0);
      expect(Number.isInteger(sizer.chunkBytes)).toBe(true);
    }
    expect(sizer.chunkBytes).toBe(400_000);
  });

  it('a cut after a stalled, recreated upload is a reset again, not a second stall', () => {
    const sizer = new ChunkSizer(4 * MiB, 30_000);
    sizer.noteAcknowledged(4 * MiB, 20, 0.5);
    sizer.noteStalled();
    sizer.noteCut(4 * MiB, MiB); // the server then lost the upload: no offset was asked
    sizer.noteCut(0, 3 * MiB); // the new upload's PATCH is reset
    sizer.noteServerOffset(MiB);
    expect(sizer.chunkBytes).toBe(1.5 * MiB); // halved as a loss (a stall would give a third of 1 MiB)
  });

  it('keeps the size when a cut lost nothing (the server kept what arrived) or when a pause cut nothing', () => {
    const sizer = new ChunkSizer(4 * MiB, 30_000);
    sizer.noteAcknowledged(4 * MiB, 20, 2);
    sizer.noteCut(0, 3 * MiB);
    sizer.noteServerOffset(3 * MiB - 1000); // a few bytes short: socket buffers, not worth shrinking for
    expect(sizer.chunkBytes).toBe(4 * MiB);
    sizer.noteServerOffset(0); // no cut noted (a resume after a pause): nothing to learn
    expect(sizer.chunkBytes).toBe(4 * MiB);
  });
});
