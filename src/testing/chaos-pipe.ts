import type { Socket } from 'node:net';
import type { Toxic } from './toxics.js';

/** Per-connection, per-toxic state. */
export interface ToxicState {
  /** Whether the toxic applies to this connection (decided once, from its probability). */
  applies: boolean;
  /** Bytes it has seen in this direction (reset / close / stall). */
  bytes: number;
  /** When the bandwidth toxic may send its next slice. */
  nextAtMs: number;
}

/** What a pipe needs from its connection. */
export interface PipeHost {
  toxics(): readonly Toxic[];
  stateFor(toxic: Toxic): ToxicState;
  random(): number;
  now(): number;
  sleep(ms: number): Promise<void>;
  /** The toxic asked for an RST / a FIN of the whole connection. */
  reset(toxic: Toxic): void;
  close(toxic: Toxic): void;
  stalled(toxic: Toxic): void;
  forwarded(bytes: number): void;
  dropped(bytes: number): void;
  /** Resolves when the connection is gone: a held (stalled) pipe waits on it. */
  readonly gone: Promise<void>;
}

interface Queued {
  data: Buffer;
  arrivedAtMs: number;
}

const PAUSE_ABOVE_BYTES = 1024 * 1024;
/** Bandwidth toxics send in slices of 20 ms worth, so the rate is smooth at every scale. */
const SLICE_MS = 20;
/** A pacer that fell further behind than this was idle, not late: it does not catch up. */
const MAX_CATCH_UP_MS = 100;
const RESET_AFTER_DATA_DELAY_MS = 5;

/**
 * One direction of a proxied connection. With no toxic it writes straight through (respecting
 * backpressure); with toxics it queues chunks and runs each, in order, through the toxics current at the
 * time, so toxics can change while the connection lives.
 */
export class ChaosPipe {
  private readonly queue: Queued[] = [];
  private queuedBytes = 0;
  private pumping = false;
  private ended = false;
  private stopped = false;
  private held = false;

  constructor(
    private readonly source: Socket,
    private readonly destination: Socket,
    private readonly host: PipeHost,
  ) {
    source.on('data', (chunk: Buffer) => this.onData(chunk));
    source.on('end', () => {
      this.ended = true;
      if (!this.pumping) this.finish();
    });
  }

  /** Stops forwarding for good (the connection is being torn down). */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  private onData(chunk: Buffer): void {
    if (this.stopped) return;
    if (!this.pumping && this.host.toxics().length === 0) {
      this.write(chunk);
      return;
    }
    this.queue.push({ data: chunk, arrivedAtMs: this.host.now() });
    this.queuedBytes += chunk.length;
    if (this.queuedBytes > PAUSE_ABOVE_BYTES) this.source.pause();
    if (!this.pumping) void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    while (this.queue.length > 0 && !this.stopped) {
      const item = this.queue.shift() as Queued;
      this.queuedBytes -= item.data.length;
      await this.through(this.host.toxics(), 0, item.data, item.arrivedAtMs);
      if (this.queuedBytes <= PAUSE_ABOVE_BYTES / 2 && !this.held && !this.stopped) this.source.resume();
    }
    this.pumping = false;
    if (this.ended) this.finish();
  }

  private async through(
    toxics: readonly Toxic[],
    index: number,
    piece: Buffer,
    arrivedAtMs: number,
  ): Promise<void> {
    if (this.stopped) return;
    const toxic = toxics[index];
    if (!toxic) return this.forward(piece);
    const next = (part: Buffer) => this.through(toxics, index + 1, part, arrivedAtMs);
    const state = this.host.stateFor(toxic);
    if (!state.applies) return next(piece);
    switch (toxic.type) {
      case 'latency': {
        const jitterMs = toxic.jitterMs ? (this.host.random() * 2 - 1) * toxic.jitterMs : 0;
        const waitMs = arrivedAtMs + toxic.latencyMs + jitterMs - this.host.now();
        if (waitMs > 0) await this.host.sleep(waitMs);
        return next(piece);
      }
      case 'bandwidth':
        return this.pace(piece, toxic.bytesPerSecond, state, next);
      case 'slicer':
        return this.slice(piece, toxic, next);
      case 'blackhole':
        this.host.dropped(piece.length);
        return;
      case 'reset':
      case 'close':
      case 'stall':
        return this.limit(piece, toxic, state, next);
    }
  }

  /** Forwards up to the toxic's byte limit, then resets, closes or stalls the connection. */
  private async limit(piece: Buffer, toxic: Toxic, state: ToxicState, next: (part: Buffer) => Promise<void>) {
    const limitBytes = 'afterBytes' in toxic ? (toxic.afterBytes ?? 0) : 0;
    const remaining = limitBytes - state.bytes;
    if (piece.length < remaining) {
      state.bytes += piece.length;
      return next(piece);
    }
    state.bytes = limitBytes;
    if (remaining > 0) await next(piece.subarray(0, remaining));
    // Let the bytes reach the peer before the RST: a Node peer that reads data and RST in one go reports
    // a clean end instead of ECONNRESET (libuv treats a hang-up after a partial read as EOF).
    await flushed(this.destination);
    if (toxic.type === 'reset' && remaining > 0) await this.host.sleep(RESET_AFTER_DATA_DELAY_MS);
    if (this.stopped) return;
    if (toxic.type === 'reset') this.host.reset(toxic);
    else if (toxic.type === 'close') this.host.close(toxic);
    else await this.hold(toxic);
  }

  private async pace(
    piece: Buffer,
    bytesPerSecond: number,
    state: ToxicState,
    next: (part: Buffer) => Promise<void>,
  ) {
    const sliceBytes = Math.max(1, Math.floor((bytesPerSecond * SLICE_MS) / 1000));
    for (let offset = 0; offset < piece.length && !this.stopped; offset += sliceBytes) {
      const part = piece.subarray(offset, offset + sliceBytes);
      const nowMs = this.host.now();
      if (state.nextAtMs < nowMs - MAX_CATCH_UP_MS) state.nextAtMs = nowMs;
      if (state.nextAtMs > nowMs) await this.host.sleep(state.nextAtMs - nowMs);
      state.nextAtMs += (part.length / bytesPerSecond) * 1000;
      await next(part);
    }
  }

  private async slice(
    piece: Buffer,
    toxic: Extract<Toxic, { type: 'slicer' }>,
    next: (part: Buffer) => Promise<void>,
  ) {
    for (let offset = 0; offset < piece.length && !this.stopped; ) {
      const variation = toxic.sizeVariationBytes ?? 0;
      const size = Math.max(1, Math.round(toxic.averageSizeBytes + (this.host.random() * 2 - 1) * variation));
      if (toxic.delayMs) await this.host.sleep(toxic.delayMs);
      await next(piece.subarray(offset, offset + size));
      offset += size;
    }
  }

  /** Stall: stop reading and forwarding, keep the sockets open, until the connection goes. */
  private async hold(toxic: Toxic): Promise<void> {
    this.held = true;
    this.source.pause();
    this.host.stalled(toxic);
    await this.host.gone;
  }

  private async forward(piece: Buffer): Promise<void> {
    if (this.stopped || this.destination.destroyed) return;
    if (!this.write(piece)) await drained(this.destination);
  }

  /** Writes now; pauses the source until the destination drains if it is full. */
  private write(piece: Buffer): boolean {
    this.host.forwarded(piece.length);
    const flushed = this.destination.write(piece);
    if (!flushed && !this.pumping) {
      this.source.pause();
      this.destination.once('drain', () => {
        if (!this.held && !this.stopped) this.source.resume();
      });
    }
    return flushed;
  }

  private finish(): void {
    if (!this.stopped && !this.held && !this.destination.destroyed) this.destination.end();
  }
}

/** Resolves when every write issued so far has been handed to the kernel (or the socket is gone). */
function flushed(socket: Socket): Promise<void> {
  if (socket.destroyed || socket.writableEnded) return Promise.resolve();
  return new Promise((resolve) => socket.write(Buffer.alloc(0), () => resolve()));
}

function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.once('drain', done);
    socket.once('close', done);
  });
}
