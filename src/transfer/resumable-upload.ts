import { linkedController, NEVER_ABORTED } from '../core/abort.js';
import type { Classifier } from '../core/classify.js';
import type { Clock } from '../core/clock.js';
import { TimeoutError } from '../core/errors.js';
import { Emitter } from '../core/events.js';
import type { Backoff } from '../policy/backoff.js';
import type { ByteSource } from './byte-source.js';
import { ByteThrottle } from './byte-throttle.js';
import { ChunkReader } from './chunk-reader.js';
import { ChunkSizer } from './chunk-sizer.js';
import { type DeliveryPacer, pacerFor } from './delivery-pacer.js';
import { sharedLink } from './link-history.js';
import { ProgressMeter } from './progress-meter.js';
import { throttledSlices } from './throttled-slices.js';
import { chunkChecksumHeader, TUS_VERSION, type TusCapabilities, uploadMetadata } from './tus-protocol.js';
import { checkSize, GONE, patchAnswer, stallMessage, TusRequests } from './tus-requests.js';
import type { TusTransport } from './tus-transport.js';
import { SourceFailure, TusProtocolError } from './upload-errors.js';
import type { UploadEvents, UploadResult } from './upload-events.js';
import { type ResumableUploadOptions, resolveUploadOptions } from './upload-options.js';
import type { UploadRecord } from './upload-state-store.js';
import { Watchdog } from './watchdog.js';

export type { ResumableUploadOptions };

export type UploadState = 'idle' | 'uploading' | 'paused' | 'completed' | 'failed' | 'aborted';

const MAX_RECREATIONS = 3;

/**
 * A tus 1.0 upload that resumes from the last byte the server acknowledged — after a dropped connection,
 * a stalled link, or a killed process (with a state store). The server's offset is the only truth: after
 * any failure the client asks for it before sending again. The attempt counter resets whenever the
 * offset advances, so a long upload over a flaky link keeps going as long as it makes progress.
 */
export class ResumableUpload extends Emitter<UploadEvents> {
  readonly source: ByteSource;
  readonly endpoint: string;
  private readonly options: ResumableUploadOptions;
  private readonly clock: Clock;
  private readonly classify: Classifier;
  private readonly backoff: Backoff;
  private readonly chunkSizeBytes: number;
  private readonly stallTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly requests: TusRequests;
  private readonly transport: TusTransport;
  private readonly ownThrottle: ByteThrottle;
  private readonly throttles: readonly ByteThrottle[];
  private readonly reader: ChunkReader;
  private readonly sizer: ChunkSizer;
  private readonly pacer: DeliveryPacer | undefined;
  private readonly lifetime = new AbortController();
  private current: AbortController | undefined;
  private running: Promise<UploadResult> | undefined;
  private resumeWaiters: Array<() => void> = [];
  private status: UploadState = 'idle';
  private uploadUrl: string | undefined;
  private acknowledged = 0;
  private sent = 0;
  /** Bytes the PATCH in flight has sent (for `sentUpToBytes`). */
  private patchSent = 0;
  private readonly meter: ProgressMeter;
  private capabilities: TusCapabilities | undefined;

  constructor(options: ResumableUploadOptions) {
    super();
    this.options = options;
    this.source = options.source;
    this.endpoint = new URL(options.endpoint).href;
    const resolved = resolveUploadOptions(options);
    this.clock = resolved.clock;
    this.classify = resolved.classify;
    this.backoff = resolved.backoff;
    this.transport = resolved.transport;
    this.chunkSizeBytes = resolved.chunkSizeBytes;
    this.stallTimeoutMs = resolved.stallTimeoutMs;
    this.maxAttempts = resolved.maxAttempts;
    this.ownThrottle = new ByteThrottle({
      clock: this.clock,
      ...(options.bytesPerSecond ? { bytesPerSecond: options.bytesPerSecond } : {}),
    });
    this.pacer = pacerFor(this.clock, {
      ...options,
      pacing: resolved.pacing,
      linkHistory: resolved.linkHistory,
      limits: [this.ownThrottle, options.throttle],
    });
    this.requests = new TusRequests(
      this.pacer ? this.pacer.timing(this.transport) : this.transport,
      this.clock,
      resolved.requestTimeoutMs,
      options.headers ?? {},
    );
    this.meter = new ProgressMeter(this.clock, this.source.size);
    this.throttles = [this.ownThrottle, options.throttle, this.pacer?.throttle].filter(
      (throttle): throttle is ByteThrottle => throttle !== undefined,
    );
    this.reader = new ChunkReader(this.source, this.chunkSizeBytes);
    this.sizer = new ChunkSizer(
      this.chunkSizeBytes,
      this.stallTimeoutMs,
      sharedLink(resolved.linkHistory, options.endpoint),
    );
  }

  get state(): UploadState {
    return this.status;
  }

  /** The upload's URL on the server, once created. */
  get url(): string | undefined {
    return this.uploadUrl;
  }

  /** The last offset the server acknowledged. */
  get offset(): number {
    return this.acknowledged;
  }

  /** Runs the upload to completion (or failure); calling it again returns the same promise. */
  start(): Promise<UploadResult> {
    this.running ??= this.run().then(
      (result) => {
        this.status = 'completed';
        return result;
      },
      (error: unknown) => {
        if (this.status !== 'aborted') this.status = 'failed';
        throw error;
      },
    );
    return this.running;
  }

  /** Stops sending (the request in flight is cut) until `resume()`. */
  pause(): void {
    if (this.status !== 'uploading') return;
    this.status = 'paused';
    this.current?.abort(new DOMException('upload paused', 'AbortError'));
  }

  resume(): void {
    if (this.status !== 'paused') return;
    this.status = 'uploading';
    for (const wake of this.resumeWaiters.splice(0)) wake();
  }

  /** Changes this upload's own bandwidth limit while it runs (undefined: none). */
  setBytesPerSecond(bytesPerSecond: number | undefined): void {
    this.ownThrottle.setRate(bytesPerSecond);
  }

  /** Stops for good. `terminate` also deletes the partial upload on the server and forgets it locally. */
  async abort(options: { terminate?: boolean } = {}): Promise<void> {
    this.status = 'aborted';
    this.lifetime.abort(new DOMException('upload aborted', 'AbortError'));
    for (const wake of this.resumeWaiters.splice(0)) wake();
    await this.running?.catch(() => {});
    if (!options.terminate) return;
    if (this.uploadUrl) await this.requests.terminate(this.uploadUrl, NEVER_ABORTED).catch(() => {});
    await this.options.stateStore?.remove(this.source.fingerprint, this.endpoint);
  }

  private async run(): Promise<UploadResult> {
    const startedMs = this.clock.now();
    const signal = this.lifetime.signal;
    if (signal.aborted) throw signal.reason; // aborted before it started: not even the file is hashed
    this.status = 'uploading';
    const { source, endpoint } = this;
    await source.verify?.();
    const sha256 = await source.sha256();
    const store = this.options.stateStore;
    const saved = await store?.get(source.fingerprint, endpoint);
    let url = saved && saved.sha256 === sha256 && saved.size === source.size ? saved.uploadUrl : undefined;
    let needSync = url !== undefined;
    let failures = 0;
    let recreations = 0;
    let offset = 0;
    let resumedFromOffset: number | undefined;
    let expiresAtMs = saved?.expiresAtMs;
    let createdAtMs = saved?.createdAtMs ?? this.clock.now();

    for (;;) {
      await this.gates(signal);
      try {
        this.capabilities ??= await this.requests.capabilities(endpoint, signal);
        checkSize(this.capabilities, source.size);
        if (!url) {
          const created = await this.requests.create(
            endpoint,
            source.size,
            uploadMetadata(source.name, this.options.metadata, sha256),
            signal,
          );
          ({ url, expiresAtMs } = created);
          createdAtMs = this.clock.now();
          offset = 0;
          needSync = false;
          await this.remember({ url, sha256, offset: 0, createdAtMs, expiresAtMs });
          this.emit('created', { url });
        }
        this.uploadUrl = url;
        if (needSync) {
          const serverOffset = await this.requests.offset(url, signal);
          if (serverOffset === GONE) throw GONE;
          if (serverOffset > offset) failures = 0; // bytes of the failed request arrived: that is progress
          this.sizer.noteServerOffset(serverOffset); // after a stall: how much of the cut PATCH arrived
          // What the server holds of a cut PATCH is acknowledged now: the record shows it (lifeline uploads).
          if (serverOffset !== offset)
            await this.remember({ url, sha256, offset: serverOffset, createdAtMs, expiresAtMs });
          offset = serverOffset;
          needSync = false;
          const reason = resumedFromOffset === undefined ? 'restart' : 'retry';
          this.meter.restart(this.sent);
          this.emit('resumed', { url, offset, reason });
        }
        // The first PATCH: the rate counts from now, not from before the hashing, creation or a link wait.
        if (resumedFromOffset === undefined) this.meter.restart(this.sent);
        resumedFromOffset ??= offset;
        this.acknowledged = offset;
        if (offset >= source.size) break;
        const next = await this.patch(url, offset, sha256);
        if (next > offset) failures = 0;
        offset = next;
        this.acknowledged = offset;
        this.emit('chunkAcknowledged', { offset, totalBytes: source.size });
        this.progress(true);
        await this.remember({ url, sha256, offset, createdAtMs, expiresAtMs });
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        if (error instanceof SourceFailure) throw await this.sourceFailed(error.error, url);
        if (this.isPaused()) {
          needSync = true;
          continue;
        }
        if (error === GONE) {
          if (++recreations > MAX_RECREATIONS)
            throw new TusProtocolError(`the server keeps losing upload ${url}; giving up`);
          this.emit('expired', { url: url ?? endpoint });
          await store?.remove(source.fingerprint, endpoint);
          url = undefined;
          continue;
        }
        const failure = this.classify(error);
        if (failure.status === 409) {
          needSync = true; // offset mismatch: ask the server what it has
          continue;
        }
        if (!failure.retryable) throw error;
        if (failure.status === undefined) this.pacer?.noteLostConnection(); // no answer: the connection failed
        needSync = url !== undefined;
        if (this.isLinkDown()) continue; // the gate waits for the link; no attempt spent
        failures++;
        if (failures >= this.maxAttempts) throw error;
        const named = failure.retryAfterMs ?? 0; // a server-named wait, if any
        const delayMs = named > 0 ? named : this.backoff.delayMs(failures);
        const attemptsRemaining = this.maxAttempts - failures;
        this.emit('retry', { attempt: failures, delayMs, failure, attemptsRemaining });
        await this.clock.sleep(delayMs, signal);
      }
    }
    await store?.remove(source.fingerprint, endpoint);
    const result: UploadResult = {
      url: url as string,
      size: source.size,
      sha256,
      bytesSent: this.sent,
      resumedFromOffset: resumedFromOffset ?? 0,
      durationMs: this.clock.now() - startedMs,
    };
    this.emit('completed', result);
    return result;
  }

  /** One PATCH of up to a chunk; returns the server's new offset. */
  private async patch(url: string, offset: number, sha256: string): Promise<number> {
    const end = Math.min(offset + this.sizer.chunkBytes, this.source.size);
    this.pacer?.beforePatch();
    const chunk = await this.reader.read(offset, end - offset).catch((error: unknown) => {
      throw new SourceFailure(error);
    });
    const { controller, dispose } = linkedController(this.lifetime.signal);
    this.current = controller;
    const watchdog = new Watchdog(this.clock, this.stallTimeoutMs, () => {
      this.emit('stalled', { offset, stallTimeoutMs: this.stallTimeoutMs });
      this.sizer.noteStalled();
      // Where the bytes sent reach, as the bar shows it (the server says next how much it kept).
      const message = stallMessage(this.stallTimeoutMs, offset + this.patchSent);
      controller.abort(new TimeoutError(this.stallTimeoutMs, 'upload', message));
    });
    const headers = this.requests.headers({
      'upload-offset': String(offset),
      'content-type': 'application/offset+octet-stream',
      ...(await chunkChecksumHeader(this.capabilities, chunk)),
    });
    const startedMs = preciseNow(this.clock);
    let lastByteMs = startedMs;
    try {
      const sending = this.transport({
        method: 'PATCH',
        url,
        headers,
        body: throttledSlices(chunk, this.throttles, controller.signal, watchdog, (bytes) => {
          this.sent += bytes;
          this.patchSent += bytes;
          lastByteMs = preciseNow(this.clock);
          this.progress(this.patchSent === chunk.length, this.patchSent === chunk.length); // the last: always said
        }),
        bodyLength: chunk.length,
        signal: controller.signal,
      });
      this.reader.readAhead(end, this.sizer.chunkBytes); // the disk works while the wire does
      const answer = await sending.catch((error: unknown) => {
        // No answer: the server's offset, asked next, tells what arrived. A pause's abort is no cut.
        if (!this.isPaused()) this.sizer.noteCut(offset, this.patchSent);
        throw error;
      });
      const next = await patchAnswer(answer, { offset, end, size: this.source.size }, sha256);
      const durationMs = preciseNow(this.clock) - startedMs;
      this.sizer.noteAcknowledged(next - offset, durationMs, durationMs - (lastByteMs - startedMs));
      // The last PATCH's time holds the server's completion work (its hash): no measure of the link.
      if (next < this.source.size)
        this.pacer?.notePatch({ bytes: next - offset, durationMs, sendSpanMs: lastByteMs - startedMs });
      return next;
    } catch (error) {
      throw controller.signal.aborted && !this.lifetime.signal.aborted && !this.isPaused()
        ? controller.signal.reason
        : error;
    } finally {
      watchdog.stop();
      this.patchSent = 0;
      // A server may answer before reading the whole body: stop feeding it, the chunk's buffer is reused.
      controller.abort(new DOMException('the PATCH has been answered', 'AbortError'));
      dispose();
      this.current = undefined;
    }
  }

  /** `awaitingAnswer`: the PATCH in flight has sent its every byte; the server has not answered yet. */
  private progress(force: boolean, awaitingAnswer = false): void {
    if (!this.listening('progress')) return;
    const event = this.meter.next(this.sent, this.acknowledged, this.acknowledged + this.patchSent, force);
    if (event) this.emit('progress', { ...event, awaitingAnswer });
  }

  /** Paused: wait for resume. Offline: wait for the link (no attempt is spent on a link that is down). */
  private async gates(signal: AbortSignal): Promise<void> {
    while (this.isPaused()) await new Promise<void>((resolve) => this.resumeWaiters.push(resolve));
    if (signal.aborted) throw signal.reason;
    const link = this.options.connectivity;
    if (link && link.state === 'offline') {
      this.emit('waitingForLink', { offset: this.acknowledged });
      await link.waitForOnline({ signal });
    }
  }

  /**
   * The source failed (the file was deleted or changed): retrying this upload cannot help. The partial
   * upload of the old content is dropped, on the server and here; the caller decides whether to start anew.
   */
  private async sourceFailed(error: unknown, url: string | undefined): Promise<unknown> {
    await this.options.stateStore?.remove(this.source.fingerprint, this.endpoint);
    if (url) await this.requests.terminate(url, NEVER_ABORTED).catch(() => {});
    return error;
  }

  /** A method, not a property read, so the compiler does not assume the state cannot change under us. */
  private isPaused(): boolean {
    return this.status === 'paused';
  }

  /** Only a monitor's word: an outage-like error it has not seen backs off (the gate would not wait). */
  private isLinkDown(): boolean {
    return this.options.connectivity?.state === 'offline';
  }

  /** The record a restart resumes from (createdAtMs is kept by run(): no read before each write). */
  private async remember(at: Pick<UploadRecord, 'sha256' | 'offset' | 'createdAtMs'> & UrlAndExpiry) {
    const { url: uploadUrl, expiresAtMs, ...rest } = at;
    const { fingerprint, size } = this.source;
    await this.options.stateStore?.put({
      ...{ fingerprint, endpoint: this.endpoint, uploadUrl, size, updatedAtMs: this.clock.now(), ...rest },
      ...(expiresAtMs === undefined ? {} : { expiresAtMs }),
    });
  }
}

type UrlAndExpiry = { url: string; expiresAtMs: number | undefined };

export { TUS_VERSION };

const preciseNow = (clock: Clock) => clock.preciseNow?.() ?? clock.now();
