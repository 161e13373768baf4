import type { SharedLink } from './link-history.js';

/** A PATCH never carries less than this: below it, a request's round trip costs more than its bytes. */
export const MIN_CHUNK_BYTES = 16 * 1024;
/**
 * The first PATCH, before the link has shown its rate: at 16 kbit/s it is answered in about 8 s, well within
 * the default 30 s stall timeout (64 KiB took 33 s, and was cut as stalled).
 */
export const FIRST_CHUNK_BYTES = 16 * 1024;
/** A PATCH should be answered within this share of the stall timeout, at the rate the link showed. */
const SHARE_OF_STALL_TIMEOUT = 1 / 3;

/** A cut PATCH that threw away more than this (bytes sent that the server never kept) is worth sending less for. */
const LOSS_WORTH_SHRINKING_BYTES = 64 * 1024;
/**
 * However often cuts lose bytes, a PATCH still carries a quarter of the chunk size asked for, and what the
 * link moves in four round trips.
 */
const SMALLEST_SHARE_AFTER_LOSS = 1 / 4;
const ROUND_TRIPS_PER_PATCH = 4;

/** A PATCH that failed before its answer, until the server's offset says how much of it arrived. */
interface Cut {
  offset: number;
  sentBytes: number;
  /** Cut by the stall watchdog, not by the connection. */
  stalled: boolean;
}

/**
 * How many bytes the next PATCH carries. tus acknowledges bytes only when a PATCH is answered, so on a
 * slow link a whole chunk (4 MiB take 35 minutes at 16 kbit/s) would look stalled long before it is
 * answered, be cut, and be sent again. The chunk therefore follows the link: after each answer it is what
 * the link carries in a third of the stall timeout at the rate that PATCH showed (never above the chunk
 * size asked for, never under 16 KiB); after a stall, a third of what reached the server meanwhile (a
 * quarter of the chunk when nothing did). The first PATCH is small (16 KiB), as TCP starts slow: a whole
 * first chunk would fill every buffer on a slow link, and be lost with them when cut. On a fast link the
 * second PATCH is a whole chunk already (16 KiB in a millisecond says 160 MB in ten seconds).
 *
 * A PATCH cut by a reset loses what was still on its way: in socket buffers, in the server's streams
 * (many servers drop what they held of a PATCH that failed). None of that can be more than the PATCH
 * itself, and the next PATCH starts only once the server has taken all of this one. So when a cut is seen
 * to lose bytes (sent, yet not in the server's offset), PATCHes are cut to half of what that PATCH had sent
 * for the rest of the upload, as TCP halves its window on a loss: on a link that resets, less is at stake
 * each time. Never below a quarter of the chunk size asked for, nor what the link carries in four round
 * trips (the requests' own cost stays under about a fifth of the time). With a shared LinkHistory the lowered size is remembered
 * for the server, and the next upload to it starts there. Against a server that keeps what arrived, cuts
 * lose next to nothing and the size stays.
 */
export class ChunkSizer {
  private current: number;
  /** Lowered by cuts that lost bytes, never below `smallestAfterLoss`. */
  private cap: number;
  private readonly smallestAfterLoss: number;
  /** The stall watchdog fired on the PATCH in flight (its failure follows, with `noteCut`). */
  private stallNoted = false;
  private cut: Cut | undefined;
  /** The least time any PATCH's answer took after its last byte left: the round trip and the server's work. */
  private fixedCostMs = Number.POSITIVE_INFINITY;
  private lastBytesPerMs: number | undefined;

  constructor(
    maxChunkBytes: number,
    private readonly stallTimeoutMs: number,
    private readonly link?: SharedLink,
  ) {
    this.smallestAfterLoss = Math.min(
      maxChunkBytes,
      Math.max(MIN_CHUNK_BYTES, Math.floor(maxChunkBytes * SMALLEST_SHARE_AFTER_LOSS)),
    );
    // What cuts brought other uploads to this server down to, within this upload's own bounds.
    const remembered = link?.history.lossyChunkBytes(link.origin) ?? maxChunkBytes;
    this.cap = Math.min(maxChunkBytes, Math.max(this.smallestAfterLoss, remembered));
    this.current = Math.min(maxChunkBytes, FIRST_CHUNK_BYTES);
  }

  /** Bytes for the next PATCH. */
  get chunkBytes(): number {
    return this.current;
  }

  /**
   * A PATCH of `bytes` was answered `durationMs` after it was sent, `afterLastByteMs` after its last byte
   * left the client.
   */
  noteAcknowledged(bytes: number, durationMs: number, afterLastByteMs = durationMs): void {
    this.cut = undefined; // answered after all (a stall noted as its answer came)
    this.stallNoted = false;
    if (bytes <= 0) return;
    this.fixedCostMs = Math.min(this.fixedCostMs, Math.max(0, afterLastByteMs));
    if (durationMs <= 0) {
      this.current = this.cap; // answered at once: as fast as it gets
      return;
    }
    this.lastBytesPerMs = bytes / durationMs;
    this.current = this.clamp(this.lastBytesPerMs * this.stallTimeoutMs * SHARE_OF_STALL_TIMEOUT);
  }

  /** The PATCH in flight was cut as stalled (its failure follows, with `noteCut`). */
  noteStalled(): void {
    this.stallNoted = true;
  }

  /** The PATCH from `offset` failed without an answer after `sentBytes` of it left the client. */
  noteCut(offset: number, sentBytes: number): void {
    this.cut = { offset, sentBytes, stalled: this.stallNoted };
    this.stallNoted = false;
  }

  /** The server's offset, as asked after a failed PATCH: how much of a cut PATCH arrived. */
  noteServerOffset(serverOffset: number): void {
    const cut = this.cut;
    this.cut = undefined;
    if (cut === undefined) return;
    const deliveredBytes = serverOffset - cut.offset;
    if (cut.stalled) {
      this.current = this.clamp(
        deliveredBytes > 0 ? deliveredBytes * SHARE_OF_STALL_TIMEOUT : this.current / 4,
      );
      return;
    }
    if (cut.sentBytes - deliveredBytes <= LOSS_WORTH_SHRINKING_BYTES) return;
    const roundTripsBytes = ROUND_TRIPS_PER_PATCH * (this.lastBytesPerMs ?? 0) * this.fixedCostMs;
    const floor = Math.max(this.smallestAfterLoss, Math.floor(roundTripsBytes) || 0);
    // Half of what the cut PATCH had sent, never below the floor, and never raising the size.
    this.cap = Math.min(this.cap, Math.max(floor, Math.floor(Math.min(this.cap, cut.sentBytes) / 2)));
    this.current = Math.min(this.current, this.cap);
    this.link?.history.noteLossyChunkBytes(this.link.origin, this.cap);
  }

  private clamp(bytes: number): number {
    return Math.min(this.cap, Math.max(MIN_CHUNK_BYTES, Math.floor(bytes)));
  }
}
