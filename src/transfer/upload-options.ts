import { type Classifier, classify as defaultClassify } from '../core/classify.js';
import { type Clock, realClock } from '../core/clock.js';
import { InvalidOptionError } from '../core/errors.js';
import { requireInteger, requireNumber } from '../core/validate.js';
import { type Backoff, exponentialBackoff } from '../policy/backoff.js';
import type { ByteSource } from './byte-source.js';
import type { ByteThrottle } from './byte-throttle.js';
import { type LinkHistory, processLinkHistory } from './link-history.js';
import { fetchTransport, type TusTransport } from './tus-transport.js';
import type { UploadStateStore } from './upload-state-store.js';

export interface ResumableUploadOptions {
  source: ByteSource;
  /** The tus endpoint uploads are created at, e.g. http://127.0.0.1:8080/files/. */
  endpoint: string;
  /** Bytes per PATCH. Default 4 MiB. */
  chunkSizeBytes?: number;
  /** Extra Upload-Metadata (filename and sha256 are always sent). */
  metadata?: Record<string, string>;
  /** Headers for every request (credentials). */
  headers?: Record<string, string>;
  /** Default on `fetch`; lifeline/node has a faster one on undici. */
  transport?: TusTransport;
  /** Remembers the upload URL across restarts. Without one, a restart starts from zero. */
  stateStore?: UploadStateStore;
  /** Consecutive failures without the offset advancing before giving up. Default 10. */
  maxAttempts?: number;
  /** Between attempts. Default exponential 1 s → 30 s, full jitter. */
  backoff?: Backoff;
  /** No byte moved for this long aborts the request; the upload resumes from the server's offset. Default 30 s. */
  stallTimeoutMs?: number;
  /** Limit for OPTIONS, HEAD, POST and DELETE. Default 30 s. */
  requestTimeoutMs?: number;
  /** While the link is offline the upload waits for it instead of spending attempts. */
  connectivity?: { readonly state: string; waitForOnline(options?: { signal?: AbortSignal }): Promise<void> };
  /** A limit shared with other uploads. */
  throttle?: ByteThrottle;
  /** This upload's own limit (changeable: `setBytesPerSecond`). */
  bytesPerSecond?: number;
  /**
   * Pace PATCHes at the rate the server absorbs (DeliveryPacer), so queues stay short and a reset costs
   * little. `true` (default): once a connection has been lost during the upload; `'always'`: from the
   * second PATCH; `false`: never.
   */
  pacing?: boolean | 'always';
  /**
   * What uploads over this link remember of it, shared between them: after a connection was lost during
   * any of them (in the last 10 minutes by default), an upload is paced from its first PATCH at the rate
   * the last one measured, and at the PATCH size lossy cuts brought them down to. Default: the process's
   * (`processLinkHistory`), shared by every upload on the real clock; lifeline/node's runtime shares one
   * of its own between all its uploads. `new LinkHistory()` for an upload that learns alone.
   */
  linkHistory?: LinkHistory;
  classify?: Classifier;
  clock?: Clock;
}

/** The options with their defaults, checked: a bad value is a clear error before anything is sent. */
export function resolveUploadOptions(options: ResumableUploadOptions) {
  const positive = (name: string, value: number, integer: boolean) =>
    (integer ? requireInteger : requireNumber)('ResumableUpload', name, value, 1);
  const clock = options.clock ?? realClock;
  return {
    clock,
    linkHistory: options.linkHistory ?? (clock === realClock ? processLinkHistory : undefined),
    classify: options.classify ?? defaultClassify,
    backoff: options.backoff ?? exponentialBackoff({ initialDelayMs: 1000, maxDelayMs: 30_000 }),
    transport: options.transport ?? fetchTransport(),
    chunkSizeBytes: positive('chunkSizeBytes', options.chunkSizeBytes ?? 4 * 1024 * 1024, true),
    stallTimeoutMs: positive('stallTimeoutMs', options.stallTimeoutMs ?? 30_000, false),
    requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs ?? 30_000, false),
    maxAttempts: positive('maxAttempts', options.maxAttempts ?? 10, true),
    pacing: checkedPacing(options.pacing ?? true),
  };
}

/** From JavaScript any value can come: one that is not an option is refused, saying what may be. */
function checkedPacing(pacing: boolean | 'always'): boolean | 'always' {
  if (pacing === true || pacing === false || pacing === 'always') return pacing;
  throw new InvalidOptionError(
    `ResumableUpload: pacing must be true, false or 'always', got ${JSON.stringify(pacing)}`,
  );
}
