import type { Clock } from '../core/clock.js';
import { ByteThrottle } from './byte-throttle.js';
import { type LinkHistory, type SharedLink, sharedLink } from './link-history.js';
import type { TusTransport } from './tus-transport.js';

/** A chunk this small says little about the rate (its time is mostly round trip). */
const MIN_SAMPLE_BYTES = 128 * 1024;
/** A paced sender may run this far ahead of its rate: a slice or two, not a chunk. */
const PACED_BURST_MS = 2;
/**
 * The pace over the rate the server was seen to absorb: each PATCH ends with at most ~5% of its bytes
 * queued (the server always has bytes to take), and a link that got faster is found at 5% a PATCH.
 */
const PACING_GAIN = 1.05;
/** Delivery rates remembered: the pace follows the best, so one PATCH slowed by a hiccup costs no speed. */
const RATES_REMEMBERED = 3;
/** A rate within 10% of a bandwidth limit was the limit's doing. */
const LIMITED_WITHIN = 1.1;

/** What one acknowledged PATCH showed. */
export interface PatchSample {
  bytes: number;
  /** From handing the request to the transport to the server's answer. */
  durationMs: number;
  /** From handing the request to the transport to the last byte leaving the client. */
  sendSpanMs: number;
}

/** What the pacer of one upload is built from. */
export interface PacerOptions {
  /** The upload's `pacing` option: `true`/undefined from the first loss, `'always'`, or `false` (none). */
  pacing?: boolean | 'always' | undefined;
  /** Shared with other uploads; rates are remembered per server, the endpoint's origin. */
  linkHistory?: LinkHistory | undefined;
  endpoint: string;
  /** The upload's other bandwidth limits (its own, the global one): a rate they held down is not the link's. */
  limits: ReadonlyArray<ByteThrottle | undefined>;
}

/**
 * Paces an upload at the rate the server absorbs (BBR's idea, at the level of requests). A sender faster
 * than its bottleneck does not finish sooner: the surplus waits in socket and proxy buffers, and a
 * connection reset throws it away (Linux drops a socket's unread bytes on RST), so it is sent again.
 * Paced near the bottleneck's rate, those queues stay short: a reset costs little, and other traffic on
 * a shared (satellite) link is not stuck behind the upload.
 *
 * Each acknowledged PATCH measures the delivery rate: bytes ÷ (its time less the fixed cost of any
 * request — round trip and the server's own work, the least time any PATCH took after its last byte
 * left, and at first the quickest small request). The next PATCH is paced at `PACING_GAIN` × the best of
 * the last few rates. When the server is the bottleneck a small queue forms and the rate measured is the
 * server's; when it is not, the rate measured is the pace, and the pace grows. The first PATCH goes at
 * full speed. A reset changes nothing: it says nothing about the rate.
 *
 * With a shared LinkHistory, a connection lost recently during any upload starts the pacing at the next
 * PATCH — at the first, when the history knows a recent rate to this server; this upload's losses, and
 * its rates when no bandwidth limit held them down, go into the history.
 */
export class DeliveryPacer {
  readonly throttle: ByteThrottle;
  private fixedCostMs = Infinity;
  private readonly deliveryRates: number[] = [];
  private pacing: boolean;
  /** The last sample ran into a user or global limit: its rate is the limit's, not the link's. */
  private limited = false;

  /**
   * `pacing` as the upload option says it. `true`: measure from the start but pace only once a connection
   * has been lost (during this upload, or recently on the shared link) — on a link that never drops one,
   * pacing only costs (about 10% on loopback, where the "bottleneck" is a jittery server); on one that
   * has dropped one, the next drop is cheap. `'always'` (the default here): pace from the second PATCH on.
   */
  constructor(
    private readonly clock: Clock,
    pacing: true | 'always' = 'always',
    private readonly link?: SharedLink,
    private readonly limits: ReadonlyArray<ByteThrottle | undefined> = [],
  ) {
    this.throttle = new ByteThrottle({ clock, burstMs: PACED_BURST_MS });
    this.pacing = pacing === 'always';
  }

  /** Before each PATCH: a connection lost meanwhile on the shared link starts the pacing now. */
  beforePatch(): void {
    if (this.pacing || !this.link?.history.lossIsRecent) return;
    this.pacing = true;
    if (this.deliveryRates.length > 0) this.applyPace();
    else {
      const remembered = this.link.history.deliveryRate(this.link.origin);
      if (remembered !== undefined) this.throttle.setRate(remembered);
    }
  }

  /** A connection was lost mid-upload (reset, stall): from now on, pace. */
  noteLostConnection(): void {
    this.link?.history.noteLostConnection();
    if (this.pacing) return;
    this.pacing = true;
    this.applyPace();
  }

  /** The rate PATCHes are paced at now (undefined: full speed). */
  get bytesPerSecond(): number | undefined {
    return this.throttle.bytesPerSecond;
  }

  /** `transport`, timed: the small requests' round trips tell what a PATCH costs besides its bytes. */
  timing(transport: TusTransport): TusTransport {
    const now = () => this.clock.preciseNow?.() ?? this.clock.now();
    return async (request) => {
      const startedMs = now();
      const response = await transport(request);
      this.noteRoundTrip(now() - startedMs);
      return response;
    };
  }

  /** A small request (OPTIONS, HEAD, POST) took this long: an upper bound on the fixed cost. */
  noteRoundTrip(durationMs: number): void {
    if (durationMs >= 0) this.fixedCostMs = Math.min(this.fixedCostMs, durationMs);
  }

  /**
   * After an acknowledged PATCH — not the last, whose time holds the server's completion work: sets the
   * pace of the next.
   */
  notePatch(sample: PatchSample): void {
    if (sample.bytes < MIN_SAMPLE_BYTES) return;
    const afterLastByteMs = Math.max(0, sample.durationMs - sample.sendSpanMs);
    this.fixedCostMs = Math.min(this.fixedCostMs, afterLastByteMs);
    const transferMs = sample.durationMs - this.fixedCostMs;
    if (transferMs < 0.5) return; // too quick to measure: keep the pace
    const rate = (sample.bytes / transferMs) * 1000;
    const limit = Math.min(...this.limits.map((throttle) => throttle?.bytesPerSecond ?? Infinity));
    this.limited = limit <= rate * LIMITED_WITHIN;
    this.deliveryRates.push(rate);
    if (this.deliveryRates.length > RATES_REMEMBERED) this.deliveryRates.shift();
    this.applyPace();
  }

  private applyPace(): void {
    if (this.deliveryRates.length === 0) return;
    const pace = PACING_GAIN * Math.max(...this.deliveryRates);
    if (this.link && !this.limited) this.link.history.noteDeliveryRate(this.link.origin, pace);
    if (this.pacing) this.throttle.setRate(pace);
  }
}

/** The pacer an upload's options ask for (none with `pacing: false`); the endpoint is a valid URL. */
export function pacerFor(clock: Clock, options: PacerOptions): DeliveryPacer | undefined {
  const pacing = options.pacing ?? true; // checked with the upload's other options (upload-options.ts)
  if (pacing === false) return undefined;
  return new DeliveryPacer(clock, pacing, sharedLink(options.linkHistory, options.endpoint), options.limits);
}
