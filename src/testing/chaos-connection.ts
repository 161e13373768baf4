import { connect, type Socket } from 'node:net';
import { ChaosPipe, type PipeHost, type ToxicState } from './chaos-pipe.js';
import type { Toxic } from './toxics.js';

/** What a connection needs from its proxy. */
export interface ConnectionOwner {
  readonly upstream: { host: string; port: number };
  /** All toxics, in order. */
  toxics(): readonly Toxic[];
  /** The toxics for one direction (cached by the owner: this is asked per chunk). */
  toxicsFor(direction: 'upstream' | 'downstream'): readonly Toxic[];
  random(): number;
  now(): number;
  sleep(ms: number): Promise<void>;
  onForwarded(direction: 'upstream' | 'downstream', bytes: number): void;
  onDropped(bytes: number): void;
  onFault(connection: ChaosConnection, fault: 'reset' | 'close' | 'stall', toxic: Toxic | undefined): void;
  onClosed(connection: ChaosConnection): void;
}

/** One client connection through the proxy: the client socket, its upstream socket, and a pipe each way. */
export class ChaosConnection {
  private readonly states = new Map<number, ToxicState>();
  private upstreamSocket: Socket | undefined;
  private pipes: ChaosPipe[] = [];
  private closed = false;
  private resolveGone!: () => void;
  readonly gone = new Promise<void>((resolve) => {
    this.resolveGone = resolve;
  });

  constructor(
    readonly id: number,
    private readonly client: Socket,
    private readonly owner: ConnectionOwner,
  ) {
    client.setNoDelay(true);
    client.on('error', () => this.teardown());
    client.on('close', () => this.teardown());
  }

  /** Connects upstream and starts forwarding, unless a reset-at-once toxic takes this connection. */
  start(): void {
    const resetAtOnce = this.owner
      .toxics()
      .find((toxic) => toxic.type === 'reset' && !toxic.afterBytes && this.stateFor(toxic).applies);
    if (resetAtOnce) {
      this.reset(resetAtOnce);
      return;
    }
    this.client.pause();
    // Half-open: each direction ends on its own, after its queued (delayed) data is through.
    const upstream = connect({
      host: this.owner.upstream.host,
      port: this.owner.upstream.port,
      allowHalfOpen: true,
    });
    this.upstreamSocket = upstream;
    upstream.setNoDelay(true);
    upstream.on('connect', () => {
      if (this.closed) return;
      this.pipes = [
        new ChaosPipe(this.client, upstream, this.pipeHost('upstream')),
        new ChaosPipe(upstream, this.client, this.pipeHost('downstream')),
      ];
      this.client.resume();
    });
    // The upstream refused or died: the client sees a reset, as through a real proxy.
    upstream.on('error', () => this.abort());
  }

  /** RST both sides now. */
  reset(toxic?: Toxic): void {
    if (this.closed) return;
    this.owner.onFault(this, 'reset', toxic);
    this.abort();
  }

  /** FIN both sides now. */
  close(toxic?: Toxic): void {
    if (this.closed) return;
    this.owner.onFault(this, 'close', toxic);
    for (const pipe of this.pipes) pipe.stop();
    this.client.end();
    this.upstreamSocket?.end();
  }

  stateFor(toxic: Toxic): ToxicState {
    let state = this.states.get(toxic.id);
    if (!state) {
      state = {
        applies: toxic.probability >= 1 || this.owner.random() < toxic.probability,
        bytes: 0,
        nextAtMs: 0,
      };
      this.states.set(toxic.id, state);
    }
    return state;
  }

  private abort(): void {
    for (const pipe of this.pipes) pipe.stop();
    if (!this.client.destroyed) this.client.resetAndDestroy();
    if (this.upstreamSocket && !this.upstreamSocket.destroyed) this.upstreamSocket.resetAndDestroy();
    this.teardown();
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const pipe of this.pipes) pipe.stop();
    if (!this.client.destroyed) this.client.destroy();
    this.upstreamSocket?.destroy();
    this.resolveGone();
    this.owner.onClosed(this);
  }

  private pipeHost(direction: 'upstream' | 'downstream'): PipeHost {
    const owner = this.owner;
    return {
      toxics: () => owner.toxicsFor(direction),
      stateFor: (toxic) => this.stateFor(toxic),
      random: () => owner.random(),
      now: () => owner.now(),
      sleep: (ms) => owner.sleep(ms),
      reset: (toxic) => this.reset(toxic),
      close: (toxic) => this.close(toxic),
      stalled: (toxic) => owner.onFault(this, 'stall', toxic),
      forwarded: (bytes) => owner.onForwarded(direction, bytes),
      dropped: (bytes) => owner.onDropped(bytes),
      gone: this.gone,
    };
  }
}
