import { resolve } from 'node:path';
import { onAbort } from '../core/abort.js';
import { InvalidOptionError } from '../core/errors.js';
import { Emitter, type EventSource } from '../core/events.js';
import { exponentialBackoff } from '../policy/backoff.js';
import type { Handler } from '../queue/handler.js';
import type { QueueItem } from '../queue/types.js';
import type { ByteThrottle } from '../transfer/byte-throttle.js';
import type { LinkHistory } from '../transfer/link-history.js';
import { ResumableUpload, type ResumableUploadOptions } from '../transfer/resumable-upload.js';
import type { TusTransport } from '../transfer/tus-transport.js';
import type { UploadResult } from '../transfer/upload-events.js';
import type { UploadStateStore, UploadWait } from '../transfer/upload-state-store.js';
import { FileSource } from './file-source.js';

/** The `upload` operation: a file to send to a tus endpoint. Plain JSON, kept in the queue. */
export interface UploadOperation {
  /** Absolute path of the file. */
  path: string;
  /** The tus endpoint, e.g. http://127.0.0.1:8080/files/. */
  endpoint: string;
  /** This upload's own bandwidth limit. */
  bytesPerSecond?: number;
  chunkSizeBytes?: number;
  metadata?: Record<string, string>;
}

/** What a completed `upload` operation keeps: the upload's result. */
export type UploadOperationResult = UploadResult;

/** Each upload as it starts and as its run ends, so a view can follow its progress. */
export interface UploadRunEvents {
  started: { item: QueueItem; upload: ResumableUpload };
  /** The run is over: `completed`, or it failed or was stopped (the queue then retries, buries or keeps it). */
  ended: { item: QueueItem; upload: ResumableUpload; completed: boolean };
}

export function uploadOperation(
  path: string,
  endpoint: string,
  options: Omit<UploadOperation, 'path' | 'endpoint'> = {},
): UploadOperation {
  return { ...options, path: resolve(path), endpoint: tusEndpoint(endpoint, 'upload: endpoint') };
}

/** `endpoint` as an absolute http(s) URL (normalised), or an error that says what `name` must be. */
export function tusEndpoint(endpoint: string, name: string): string {
  const url = URL.canParse(endpoint) ? new URL(endpoint) : undefined;
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:')
    throw new InvalidOptionError(
      `${name} must be the http(s) URL of a tus endpoint, like http://127.0.0.1:8080/files/; got '${endpoint}'`,
    );
  return url.href;
}

/**
 * The handler of the `upload` kind: a resumable tus upload of the file, resuming the server upload it
 * started before a crash (the state store remembers its URL), sharing the global bandwidth limit, the
 * link's connectivity and what uploads learned of the link (`linkHistory`). A file gone → dead letter
 * with that reason; a file changed → sent again whole.
 */
export function uploadHandler(options: {
  stateStore: UploadStateStore;
  transport?: TusTransport;
  throttle?: ByteThrottle;
  connectivity?: ResumableUploadOptions['connectivity'];
  /** Shared by every upload the handler runs: a link that lost a connection paces the next from its start. */
  linkHistory?: LinkHistory;
  stallTimeoutMs?: number;
  chunkSizeBytes?: number;
  headersFor?: (url: URL) => Record<string, string>;
}): { handler: Handler<UploadOperation, UploadOperationResult>; events: EventSource<UploadRunEvents> } {
  const events = new (class extends Emitter<UploadRunEvents> {
    started(event: UploadRunEvents['started']) {
      this.emit('started', event);
    }
    ended(event: UploadRunEvents['ended']) {
      this.emit('ended', event);
    }
  })();
  const handler: Handler<UploadOperation, UploadOperationResult> = async (operation, context) => {
    const { item, signal } = context;
    const source = await FileSource.open(operation.path);
    const upload = new ResumableUpload({
      source,
      endpoint: operation.endpoint,
      stateStore: options.stateStore,
      headers: options.headersFor?.(new URL(operation.endpoint)) ?? {},
      ...(options.transport ? { transport: options.transport } : {}),
      ...(options.throttle ? { throttle: options.throttle } : {}),
      ...(options.connectivity ? { connectivity: options.connectivity } : {}),
      ...(options.linkHistory ? { linkHistory: options.linkHistory } : {}),
      ...(options.stallTimeoutMs === undefined ? {} : { stallTimeoutMs: options.stallTimeoutMs }),
      ...((operation.chunkSizeBytes ?? options.chunkSizeBytes) === undefined
        ? {}
        : { chunkSizeBytes: (operation.chunkSizeBytes ?? options.chunkSizeBytes) as number }),
      ...(operation.bytesPerSecond === undefined ? {} : { bytesPerSecond: operation.bytesPerSecond }),
      ...(operation.metadata ? { metadata: operation.metadata } : {}),
      // Someone waits (queue sync): a few quick tries without progress, not ten over minutes.
      ...(context.callerWaiting ? WAITED_ON_RETRIES : {}),
    });
    // A signal that aborted while the file was being opened stops the upload at once, too.
    const detach = onAbort(signal, () => void upload.abort());
    const stopNoting = noteSentNowAndThen(upload, options.stateStore, source.fingerprint, upload.endpoint);
    // While the upload waits, `lifeline uploads` in another process says for what; and a queue that begins
    // to stop ends it at once: nothing is in flight to finish (an upload whose bytes move keeps the grace).
    const waits = watchWaits(upload, (wait) => {
      options.stateStore.noteWait?.(source.fingerprint, upload.endpoint, wait).catch(() => {}); // a display
      if (wait && context.stopping?.aborted) void upload.abort();
    });
    const detachStopping = onAbort(context.stopping, () => {
      if (waits.current() || upload.state === 'paused') void upload.abort(); // nothing in flight to finish
    });
    events.started({ item, upload });
    let completed = false;
    try {
      const result = await upload.start();
      completed = true;
      return result;
    } finally {
      detach();
      stopNoting();
      waits.stop();
      detachStopping();
      await source.close();
      events.ended({ item, upload, completed });
    }
  };
  return { handler, events };
}

/**
 * The retries of an upload run for a caller who waits (`queue sync`): a dead server is reported in
 * about 2 s, and the queue's own backoff takes over. Progress still resets the count, as always.
 */
const WAITED_ON_RETRIES = {
  maxAttempts: 3,
  backoff: exponentialBackoff({ initialDelayMs: 500, maxDelayMs: 2000 }),
} satisfies Pick<ResumableUploadOptions, 'maxAttempts' | 'backoff'>;

/** How often a running upload notes how far its bytes reach, for `lifeline uploads` in another process. */
const NOTE_SENT_EVERY_MS = 2000;

/**
 * Notes on the upload's record, at most every two seconds, how far the bytes sent reach while a PATCH is
 * in flight: a store write per progress event would cost more than the upload. A note that fails (the
 * database busy) is skipped: it only feeds a display, and the next one comes two seconds later.
 */
function noteSentNowAndThen(
  upload: ResumableUpload,
  store: UploadStateStore,
  fingerprint: string,
  endpoint: string,
): () => void {
  let notedAtMs = Date.now();
  return upload.on('progress', ({ sentUpToBytes, bytesAcknowledged }) => {
    if (sentUpToBytes <= bytesAcknowledged || Date.now() - notedAtMs < NOTE_SENT_EVERY_MS) return;
    notedAtMs = Date.now();
    store.noteSent(fingerprint, endpoint, sentUpToBytes, notedAtMs).catch(() => {});
  });
}

/**
 * Follows what the upload waits for while no byte moves — the link, or its next try after a failure —
 * calling `onChange` when it starts waiting and with `undefined` once bytes move again (or `stop` is called
 * while it waits).
 */
function watchWaits(
  upload: ResumableUpload,
  onChange: (wait: UploadWait | undefined) => void,
): { current(): UploadWait | undefined; stop(): void } {
  let retries = 0;
  let current: UploadWait | undefined;
  const set = (wait: UploadWait | undefined) => {
    current = wait;
    onChange(wait);
  };
  const stops = [
    upload.on('retry', ({ delayMs, failure }) => {
      retries++;
      const nowMs = Date.now();
      const retryAtMs = Math.round(nowMs + delayMs);
      set({ for: 'retry', sinceMs: nowMs, retryAtMs, retries, reason: failure.message });
    }),
    upload.on('waitingForLink', () => set({ for: 'link', sinceMs: Date.now(), retries })),
    upload.on('progress', () => {
      if (current) set(undefined);
    }),
  ];
  return {
    current: () => current,
    stop: () => {
      for (const stop of stops) stop();
      if (current) set(undefined);
    },
  };
}
