/** A PATCH never carries less than this: below it, a request's round trip costs more than its bytes. */
export const MIN_CHUNK_BYTES = 16 * 1024;
/**
 * The first PATCH, before the link has shown its rate: at 16 kbit/s it is answered in about 8 s, well within
 * the default 30 s stall timeout (64 KiB took 33 s, and was cut as stalled).
 */
export const FIRST_CHUNK_BYTES = 16 * 1024;
/** A PATCH should be answered within this share of the stall timeout, at the rate the link showed. */
const SHARE_OF_STALL_TIMEOUT = 1 / 3;

/**
 * How many bytes the next PATCH carries. tus acknowledges bytes only when a PATCH is answered, so on a
 * slow link a whole chunk (4 MiB take 35 minutes at 16 kbit/s) would look stalled long before it is
 * answered, be cut, and be sent again. The chunk therefore follows the link: after each answer it is what
 * the link carries in a third of the stall timeout at the rate that PATCH showed (never above the chunk
 * size asked for, never under 16 KiB); after a stall, a third of what reached the server meanwhile (a
 * quarter of the chunk when nothing did). The first PATCH is small (16 KiB), as TCP starts slow: a whole
 * first chunk would fill every buffer on a slow link, and be lost with them when cut. On a fast link the
 * second PATCH is a whole chunk already (16 KiB in a millisecond says 160 MB in ten seconds).
 */
export class ChunkSizer {
  private current: number;
  private stalledFrom: number | undefined;

  constructor(
    private readonly maxChunkBytes: number,
    private readonly stallTimeoutMs: number,
  ) {
    this.current = Math.min(maxChunkBytes, FIRST_CHUNK_BYTES);
  }

  /** Bytes for the next PATCH. */
  get chunkBytes(): number {
    return this.current;
  }

  /** A PATCH of `bytes` was answered `durationMs` after it was sent. */
  noteAcknowledged(bytes: number, durationMs: number): void {
    if (bytes <= 0) return;
    if (durationMs <= 0) {
      this.current = this.maxChunkBytes; // answered at once: as fast as it gets
      return;
    }
    const bytesPerMs = bytes / durationMs;
    this.current = this.clamp(bytesPerMs * this.stallTimeoutMs * SHARE_OF_STALL_TIMEOUT);
  }

  /** The PATCH from `offset` was cut as stalled: the server's offset, asked next, says how much arrived. */
  noteStalled(offset: number): void {
    this.stalledFrom = offset;
  }

  /** The server's offset, as asked after a failed PATCH. */
  noteServerOffset(serverOffset: number): void {
    if (this.stalledFrom === undefined) return;
    const deliveredBytes = serverOffset - this.stalledFrom;
    this.stalledFrom = undefined;
    this.current = this.clamp(
      deliveredBytes > 0 ? deliveredBytes * SHARE_OF_STALL_TIMEOUT : this.current / 4,
    );
  }

  private clamp(bytes: number): number {
    return Math.min(this.maxChunkBytes, Math.max(MIN_CHUNK_BYTES, Math.floor(bytes)));
  }
}
