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

  /**
   * The `lengthBytes` (at most the chunk size) starting at `offset`: taken from the read ahead when it
   * starts there and holds them, else read now.
   */
  async read(offset: number, lengthBytes = this.chunkSizeBytes): Promise<Uint8Array> {
    const ahead = this.ahead;
    this.ahead = undefined;
    if (ahead?.offset === offset) {
      const bytes = await ahead.bytes; // its failure is this read's
      const wanted = Math.min(lengthBytes, this.source.size - offset);
      if (bytes.length >= wanted) return bytes.subarray(0, wanted);
    } else if (ahead) {
      // A read ahead for an offset the server did not reach: let it finish before its buffer is reused.
      await ahead.bytes.catch(() => {});
    }
    return this.readInto(offset, lengthBytes);
  }

  /** Starts reading `lengthBytes` at `offset`, to be taken by the next `read(offset)`. */
  readAhead(offset: number, lengthBytes = this.chunkSizeBytes): void {
    if (offset >= this.source.size || this.ahead) return;
    const bytes = this.readInto(offset, lengthBytes);
    bytes.catch(() => {}); // surfaced by the `read` that takes it
    this.ahead = { offset, bytes };
  }

  private readInto(offset: number, lengthBytes: number): Promise<Uint8Array> {
    const end = Math.min(offset + Math.min(lengthBytes, this.chunkSizeBytes), this.source.size);
    const turn = this.turn;
    this.turn ^= 1;
    // No larger than the source: a small upload does not pay for a chunk-sized buffer.
    const into = this.buffers[turn] ?? new Uint8Array(Math.min(this.chunkSizeBytes, this.source.size));
    this.buffers[turn] = into;
    return this.source.slice(offset, end, into);
  }
}
