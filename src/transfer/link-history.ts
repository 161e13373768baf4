import { type Clock, realClock } from '../core/clock.js';
import { requireNumber } from '../core/validate.js';

/** How long a lost connection keeps the link "lossy", and a measured rate stays usable: 10 minutes. */
export const DEFAULT_LOSS_MEMORY_MS = 10 * 60 * 1000;
/** Servers whose rate is remembered (the oldest is forgotten first). */
const MAX_ORIGINS = 64;

/**
 * What uploads over one link remember of it, shared by all of them (lifeline/node's runtime keeps one
 * for every upload it runs). A connection lost during one upload marks the link lossy for
 * `lossMemoryMs`: an upload running or starting meanwhile is paced from its next PATCH — from its first,
 * at the rate last measured to the same server (origin) within that time — instead of paying its first
 * reset at full speed; and when cuts lost bytes at large PATCHes to a server, the next upload to it sends
 * them at the size they were cut down to (ChunkSizer). A link that drops connections once tends to drop
 * them again (a satellite hand-over, a flaky wifi); one upload's lesson serves the next.
 *
 * A loss is the link's (any server); a rate is one server's, and only a rate the link set counts: one
 * held down by a bandwidth limit says nothing of the link (DeliveryPacer leaves those out).
 */
export class LinkHistory {
  private lostAtMs: number | undefined;
  private readonly rates = new Map<string, { bytesPerSecond: number; atMs: number }>();
  private readonly lossyChunks = new Map<string, { bytes: number; atMs: number }>();
  private readonly clock: Clock;
  private readonly lossMemoryMs: number;

  constructor(options: { clock?: Clock; lossMemoryMs?: number } = {}) {
    this.clock = options.clock ?? realClock;
    this.lossMemoryMs = requireNumber(
      'LinkHistory',
      'lossMemoryMs',
      options.lossMemoryMs ?? DEFAULT_LOSS_MEMORY_MS,
      0,
    );
  }

  /** A connection was lost mid-transfer (a reset, a stall). */
  noteLostConnection(): void {
    this.lostAtMs = this.clock.now();
  }

  /** The rate a transfer to `origin` was last paced at (bytes per second). */
  noteDeliveryRate(origin: string, bytesPerSecond: number): void {
    if (!(Number.isFinite(bytesPerSecond) && bytesPerSecond > 0)) return;
    remember(this.rates, origin, { bytesPerSecond, atMs: this.clock.now() });
  }

  /** PATCHes to `origin` were cut down to this size: cuts lost bytes at larger ones (ChunkSizer). */
  noteLossyChunkBytes(origin: string, bytes: number): void {
    if (Number.isFinite(bytes) && bytes > 0)
      remember(this.lossyChunks, origin, { bytes, atMs: this.clock.now() });
  }

  /** A connection was lost within the last `lossMemoryMs`. */
  get lossIsRecent(): boolean {
    return this.lostAtMs !== undefined && this.isRecent(this.lostAtMs);
  }

  /** The rate last measured to `origin`, if within the last `lossMemoryMs`. */
  deliveryRate(origin: string): number | undefined {
    const noted = this.rates.get(origin);
    return noted && this.isRecent(noted.atMs) ? noted.bytesPerSecond : undefined;
  }

  /** The PATCH size cuts to `origin` last brought uploads down to, if within the last `lossMemoryMs`. */
  lossyChunkBytes(origin: string): number | undefined {
    const noted = this.lossyChunks.get(origin);
    return noted && this.isRecent(noted.atMs) ? noted.bytes : undefined;
  }

  private isRecent(atMs: number): boolean {
    return this.clock.now() - atMs <= this.lossMemoryMs;
  }
}

/** A history and the server (origin) an upload sends to: what its pacer and its chunk sizer note. */
export interface SharedLink {
  history: LinkHistory;
  origin: string;
}

/** The link an upload to `endpoint` (a valid URL) shares, if it shares a history. */
export function sharedLink(history: LinkHistory | undefined, endpoint: string): SharedLink | undefined {
  return history && { history, origin: new URL(endpoint).origin };
}

/** Sets `origin`'s entry last (the map stays in order of use) and forgets the oldest beyond MAX_ORIGINS. */
function remember<T>(entries: Map<string, T>, origin: string, value: T): void {
  entries.delete(origin);
  entries.set(origin, value);
  if (entries.size > MAX_ORIGINS) entries.delete(entries.keys().next().value as string);
}

/**
 * The history a ResumableUpload shares by default with the other uploads of its process (those on the
 * real clock; one on another clock has its own time, so it starts a fresh one). As the kernel keeps a
 * route's TCP metrics for the next connection, the second upload over a flaky link starts from what the
 * first learned, not from nothing. Pass `linkHistory: new LinkHistory()` for an upload that learns alone.
 */
export const processLinkHistory = new LinkHistory();
