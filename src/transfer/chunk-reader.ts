import type { ByteSource } from './byte-source.js';

/**
 * Reads an upload's chunks from its source: the next chunk while the current one is on the wire (so the
 * link does not idle while the disk works), into two buffers used in turn (so a long upload does not
 * allocate, and collect, a fresh chunk-sized buffer per request).
 *
 * The rule that keeps reuse safe: `readAhead` is called only while the current chunk is being sent, and
 * `read` only after the previous request has settled — so a buffer is refilled only once nothing reads it.
 */
export class ChunkReader {
  private readonly buffers: Array<Uint8Array | undefined> = [undefined, undefined];
  private turn = 0;
  private ahead: { offset: number; bytes: Promise<Uint8Array> } | undefined;

  constructor(
    private readonly source: ByteSource,
    private readonly chunkSizeBytes: number,
  ) {}

  /** The chunk starting at `offset`: the one read ahead when it starts there, else read now. */
  async read(offset: number): Promise<Uint8Array> {
    const ahead = this.ahead;
    this.ahead = undefined;
    if (ahead) {
      if (ahead.offset === offset) return ahead.bytes;
      // A read ahead for an offset the server did not reach: let it finish before its buffer is reused.
      await ahead.bytes.catch(() => {});
    }
    return this.readInto(offset);
  }

  /** Starts reading the chunk at `offset`, to be taken by the next `read(offset)`. */
  readAhead(offset: number): void {
    if (offset >= this.source.size || this.ahead) return;
    const bytes = this.readInto(offset);
    bytes.catch(() => {}); // surfaced by the `read` that takes it
    this.ahead = { offset, bytes };
  }

  private readInto(offset: number): Promise<Uint8Array> {
    const end = Math.min(offset + this.chunkSizeBytes, this.source.size);
    const turn = this.turn;
    this.turn ^= 1;
    // No larger than the source: a small upload does not pay for a chunk-sized buffer.
    const into = this.buffers[turn] ?? new Uint8Array(Math.min(this.chunkSizeBytes, this.source.size));
    this.buffers[turn] = into;
    return this.source.slice(offset, end, into);
  }
}
