import { createServer, type Server, type Socket } from 'node:net';
import { type Clock, realClock, type Timer } from '../core/clock.js';
import { InvalidOptionError } from '../core/errors.js';
import { Emitter } from '../core/events.js';
import { formatDuration } from '../core/format.js';
import { type Random, seededRandom } from '../core/random.js';
import { ChaosConnection, type ConnectionOwner } from './chaos-connection.js';
import { appliesTo, describeToxic, normaliseToxic, type Toxic, type ToxicSpec } from './toxics.js';

export interface ChaosProxyOptions {
  /** Where the proxy forwards to. */
  upstream: { host?: string; port: number };
  /** Where it listens. Default 127.0.0.1 on a free port. */
  listen?: { host?: string; port?: number };
  /** Seed of the random source behind probabilities, jitter and slices: the same seed replays a run. */
  seed?: number;
  toxics?: ToxicSpec[];
  clock?: Clock;
}

export interface ChaosCounters {
  connectionsAccepted: number;
  connectionsActive: number;
  /** Bytes forwarded client → upstream. */
  bytesUpstream: number;
  /** Bytes forwarded upstream → client. */
  bytesDownstream: number;
  bytesDropped: number;
  resetsInjected: number;
  closesInjected: number;
  stallsInjected: number;
}

export interface ChaosEvents {
  connection: { id: number };
  fault: { id: number; fault: 'reset' | 'close' | 'stall'; toxic?: string };
  closed: { id: number };
  /** The proxy stopped listening (refuse or outage): clients get ECONNREFUSED. */
  down: { reason: string };
  up: Record<string, never>;
  toxics: { toxics: string[] };
}

const emptyCounters = (): ChaosCounters => ({
  connectionsAccepted: 0,
  connectionsActive: 0,
  bytesUpstream: 0,
  bytesDownstream: 0,
  bytesDropped: 0,
  resetsInjected: 0,
  closesInjected: 0,
  stallsInjected: 0,
});

/**
 * A TCP proxy on real sockets that injects the faults real links have: latency, bandwidth limits, slicing,
 * resets, closes, stalls, black holes, refused connections and scheduled outages. Toxics compose, apply per
 * direction and per share of connections, and change at runtime without touching healthy connections.
 */
export class ChaosProxy extends Emitter<ChaosEvents> implements ConnectionOwner {
  readonly upstream: { host: string; port: number };
  private readonly listenHost: string;
  private listenPort: number;
  private readonly clock: Clock;
  private readonly randomSource: Random;
  private server: Server | undefined;
  private readonly connections = new Set<ChaosConnection>();
  private toxicList: Toxic[] = [];
  private readonly byDirection = { upstream: [] as Toxic[], downstream: [] as Toxic[] };
  private readonly outageTimers = new Set<Timer>();
  private nextConnectionId = 1;
  private counterValues = emptyCounters();

  constructor(options: ChaosProxyOptions) {
    super();
    if (!options?.upstream || !Number.isInteger(options.upstream.port)) {
      throw new InvalidOptionError(
        'ChaosProxy: upstream.port is required, e.g. { upstream: { port: 8080 } }',
      );
    }
    this.upstream = { host: options.upstream.host ?? '127.0.0.1', port: options.upstream.port };
    this.listenHost = options.listen?.host ?? '127.0.0.1';
    this.listenPort = options.listen?.port ?? 0;
    this.clock = options.clock ?? realClock;
    this.randomSource = seededRandom(options.seed ?? Date.now());
    for (const spec of options.toxics ?? []) this.addToxic(spec);
  }

  /** Starts listening. */
  async start(): Promise<this> {
    await this.listen();
    return this;
  }

  /** Stops listening, drops every connection and cancels scheduled outages. */
  async stop(): Promise<void> {
    for (const timer of this.outageTimers) timer.cancel();
    this.outageTimers.clear();
    for (const connection of this.connections) connection.reset();
    await this.closeServer();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  get host(): string {
    return this.listenHost;
  }

  get port(): number {
    return this.listenPort;
  }

  /** `http://host:port`, for pointing an HTTP client at the proxy. */
  get url(): string {
    return `http://${this.listenHost}:${this.listenPort}`;
  }

  get isListening(): boolean {
    return this.server !== undefined;
  }

  get counters(): Readonly<ChaosCounters> {
    return { ...this.counterValues, connectionsActive: this.connections.size };
  }

  resetCounters(): void {
    this.counterValues = emptyCounters();
  }

  /** Adds a toxic; it applies to new data on every connection, existing ones included. */
  addToxic(spec: ToxicSpec): Toxic {
    const name = spec.name ?? this.uniqueName(spec.type);
    if (this.toxicList.some((toxic) => toxic.name === name)) {
      throw new InvalidOptionError(
        `ChaosProxy: a toxic named '${name}' exists; remove it first or use another name`,
      );
    }
    const toxic = normaliseToxic(spec, name);
    this.setToxics([...this.toxicList, toxic]);
    return toxic;
  }

  /** Replaces a toxic's settings; its per-connection state (bytes counted, probability draw) starts afresh. */
  updateToxic(name: string, changes: Partial<ToxicSpec>): Toxic {
    const index = this.toxicList.findIndex((toxic) => toxic.name === name);
    if (index < 0) throw this.unknownToxic(name);
    const current = this.toxicList[index] as Toxic;
    const { id: _id, ...rest } = current;
    const updated = normaliseToxic({ ...rest, ...changes, name } as ToxicSpec, name);
    this.setToxics(this.toxicList.map((toxic, i) => (i === index ? updated : toxic)));
    return updated;
  }

  removeToxic(name: string): void {
    if (!this.toxicList.some((toxic) => toxic.name === name)) throw this.unknownToxic(name);
    this.setToxics(this.toxicList.filter((toxic) => toxic.name !== name));
  }

  clearToxics(): void {
    this.setToxics([]);
  }

  toxics(): readonly Toxic[] {
    return this.toxicList;
  }

  toxicsFor(direction: 'upstream' | 'downstream'): readonly Toxic[] {
    return this.byDirection[direction];
  }

  /** Stops listening, so new connections are refused; `resetExisting` also drops the open ones. */
  async refuse(options: { resetExisting?: boolean; reason?: string } = {}): Promise<void> {
    if (options.resetExisting) for (const connection of this.connections) connection.reset();
    if (!this.server) return;
    await this.closeServer();
    this.emit('down', { reason: options.reason ?? 'refusing connections' });
  }

  /** Listens again, on the same port. */
  async accept(): Promise<void> {
    if (this.server) return;
    await this.listen();
    this.emit('up', {});
  }

  /** Resets every open connection now. */
  resetAll(): void {
    for (const connection of this.connections) connection.reset();
  }

  /**
   * A total outage on a schedule: from `startInMs` from now, for `durationMs`, connections are refused
   * and the open ones are reset ("down from t=2 s to t=5 s" is `{ startInMs: 2000, durationMs: 3000 }`).
   */
  scheduleOutage({ startInMs, durationMs }: { startInMs: number; durationMs: number }): { cancel(): void } {
    if (!(startInMs >= 0) || !(durationMs > 0)) {
      throw new InvalidOptionError(
        `ChaosProxy: an outage needs startInMs ≥ 0 and durationMs > 0, got ${startInMs} and ${durationMs}`,
      );
    }
    const timers: Timer[] = [];
    const later = (delayMs: number, action: () => Promise<void>) => {
      const timer = this.clock.setTimer(() => {
        this.outageTimers.delete(timer);
        void action();
      }, delayMs);
      this.outageTimers.add(timer);
      timers.push(timer);
    };
    later(startInMs, () =>
      this.refuse({ resetExisting: true, reason: `outage for ${formatDuration(durationMs)}` }),
    );
    later(startInMs + durationMs, () => this.accept());
    return {
      cancel: () => {
        for (const timer of timers) {
          timer.cancel();
          this.outageTimers.delete(timer);
        }
      },
    };
  }

  describeToxics(): string[] {
    // A toxic named after its type needs no name in front ("latency 500ms…", not "latency: latency 500ms…").
    return this.toxicList.map((toxic) =>
      toxic.name === toxic.type ? describeToxic(toxic) : `${toxic.name}: ${describeToxic(toxic)}`,
    );
  }

  // ConnectionOwner
  random(): number {
    return this.randomSource();
  }
  now(): number {
    return this.clock.now();
  }
  sleep(ms: number): Promise<void> {
    return this.clock.sleep(ms);
  }
  onForwarded(direction: 'upstream' | 'downstream', bytes: number): void {
    if (direction === 'upstream') this.counterValues.bytesUpstream += bytes;
    else this.counterValues.bytesDownstream += bytes;
  }
  onDropped(bytes: number): void {
    this.counterValues.bytesDropped += bytes;
  }
  onFault(connection: ChaosConnection, fault: 'reset' | 'close' | 'stall', toxic: Toxic | undefined): void {
    if (fault === 'reset') this.counterValues.resetsInjected++;
    else if (fault === 'close') this.counterValues.closesInjected++;
    else this.counterValues.stallsInjected++;
    this.emit('fault', { id: connection.id, fault, ...(toxic ? { toxic: toxic.name } : {}) });
  }
  onClosed(connection: ChaosConnection): void {
    this.connections.delete(connection);
    this.emit('closed', { id: connection.id });
  }

  private onConnection(socket: Socket): void {
    const connection = new ChaosConnection(this.nextConnectionId++, socket, this);
    this.connections.add(connection);
    this.counterValues.connectionsAccepted++;
    this.emit('connection', { id: connection.id });
    connection.start();
  }

  private setToxics(toxics: Toxic[]): void {
    this.toxicList = toxics;
    this.byDirection.upstream = toxics.filter((toxic) => appliesTo(toxic, 'upstream'));
    this.byDirection.downstream = toxics.filter((toxic) => appliesTo(toxic, 'downstream'));
    this.emit('toxics', { toxics: this.describeToxics() });
  }

  private uniqueName(type: string): string {
    let name = type;
    for (let n = 2; this.toxicList.some((toxic) => toxic.name === name); n++) name = `${type}-${n}`;
    return name;
  }

  private unknownToxic(name: string): InvalidOptionError {
    const known = this.toxicList.map((toxic) => toxic.name).join(', ') || 'none';
    return new InvalidOptionError(`ChaosProxy: no toxic named '${name}' (known: ${known})`);
  }

  private listen(): Promise<void> {
    const server = createServer({ allowHalfOpen: true }, (socket) => this.onConnection(socket));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listenPort, this.listenHost, () => {
        server.off('error', reject);
        this.listenPort = (server.address() as { port: number }).port;
        this.server = server;
        resolve();
      });
    });
  }

  private closeServer(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
