import { existsSync, rmSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { join, resolve } from 'node:path';
import { type Clock, realClock } from '../core/clock.js';
import { InvalidOptionError } from '../core/errors.js';
import { Emitter } from '../core/events.js';
import { requireInteger } from '../core/validate.js';
import { ensureDirectory } from '../node/state-dir.js';
import { CommitQueue } from './group-commit.js';
import { HttpError, sendError, sendJson } from './http-io.js';
import { ListenError } from './listen-error.js';
import { addOpsRoutes, type OperationEvent, type PushbackEvent } from './ops-routes.js';
import { type OperationFilter, OpsStore, type StoredOperation } from './ops-store.js';
import { Pushback, type PushbackOptions } from './pushback.js';
import { type RouteHandler, Router } from './router.js';
import { TUS_PATH, TusEndpoint, type UploadExpiredEvent, type UploadRejectedEvent } from './tus-routes.js';
import type { FinishedUpload } from './upload-log.js';

export interface ServerOptions {
  /** Where the server keeps its database (`server.db`); created (0700) if missing. Required. */
  dataDir: string;
  /** Default 8080; 0 picks a free port (read it from `server.port` after `start()`). */
  port?: number;
  /** Default 127.0.0.1 (this machine only); 0.0.0.0 or :: to accept connections from others. */
  host?: string;
  /**
   * `full` (default): an acknowledged operation survives power loss (fsync on every commit).
   * `normal`: survives a crash of the process; the last commits may be lost on power loss. Faster.
   */
  synchronous?: 'full' | 'normal';
  /** Largest request body accepted; larger ones get 413. Default 10 MiB. */
  maxBodyBytes?: number;
  /** How long an idle keep-alive connection stays open. Default 65 000 ms (longer than common proxies' 60 s). */
  keepAliveTimeoutMs?: number;
  /** How long `stop()` lets requests in progress finish before it closes their connections. Default 5000 ms. */
  stopGraceMs?: number;
  /**
   * Largest upload accepted at `/files/` (tus `Tus-Max-Size`); a larger `Upload-Length` gets 413.
   * Default 10 GiB.
   */
  maxUploadBytes?: number;
  /**
   * How long after its creation an unfinished upload can still be resumed (tus `Upload-Expires`). After
   * that tus answers 410 for it until the next sweep deletes it (then 404). Finished uploads are kept.
   * Default 24 h.
   */
  uploadExpirationMs?: number;
  /** How often expired unfinished uploads are deleted. Default `uploadExpirationMs`, kept between 1 s and 1 h. */
  uploadSweepIntervalMs?: number;
  /** Time source for `appliedAt`, `finishedAt`, uptime and pushback. Default the real clock. */
  clock?: Clock;
}

export interface ServerEvents {
  listening: { url: string; host: string; port: number };
  /** An operation was applied, or (`replayed: true`) a repeated key was answered with its first response. */
  operation: OperationEvent;
  /** A POST was refused by injected pushback; nothing was applied. */
  pushback: PushbackEvent;
  /** A tus upload finished: fsynced, hash-checked when the client sent `sha256`, and recorded. */
  upload: FinishedUpload;
  /** A finished upload did not match its declared SHA-256: it was deleted and its last request got 460. */
  'upload-rejected': UploadRejectedEvent;
  /** An unfinished upload expired and was deleted. */
  'upload-expired': UploadExpiredEvent;
  /**
   * A request failed unexpectedly and was answered 500 (a full disk, a bug), or a background task failed
   * (`method` 'SWEEP': removing expired uploads; 'RECOVER': checking an upload at start): the server keeps
   * serving.
   */
  error: { error: unknown; method: string; path: string };
  closed: Record<string, never>;
}

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
const DATABASE_FILE = 'server.db';

/**
 * The embedded receiving server: the other end of lifeline's outbox. `POST /ops/:kind` records an
 * operation exactly once per `Idempotency-Key` (restarts included), `GET /ops` lists what arrived,
 * `GET /health` answers probes, and `/files/` receives resumable uploads (tus 1.0, by @tus/server; see
 * tus-routes.ts). Create it with `createServer(options)`, then `start()`.
 */
export class LifelineServer extends Emitter<ServerEvents> {
  /** Absolute path of the data directory. */
  readonly dataDir: string;
  /** Absolute path of the SQLite file. */
  readonly databasePath: string;
  /** Absolute path of the directory uploads land in (`<dataDir>/files`; each file is named by its upload id). */
  readonly uploadsDirectory: string;
  readonly host: string;
  readonly synchronous: 'full' | 'normal';
  readonly maxBodyBytes: number;
  readonly maxUploadBytes: number;
  readonly uploadExpirationMs: number;
  readonly uploadSweepIntervalMs: number;
  private listenPort: number;
  private readonly keepAliveTimeoutMs: number;
  private readonly stopGraceMs: number;
  private readonly clock: Clock;
  private readonly router = new Router();
  private readonly pushback: Pushback;
  private readonly commits = new CommitQueue(() => this.store());
  private readonly tus: TusEndpoint;
  private http: Server | undefined;
  private opsStore: OpsStore | undefined;
  private startedAtMs = 0;
  private stopping: Promise<void> | undefined;

  constructor(options: ServerOptions) {
    super();
    if (typeof options?.dataDir !== 'string' || options.dataDir === '') {
      throw new InvalidOptionError(
        "createServer: dataDir is required — the directory for the server's database, e.g. { dataDir: './lifeline-data' }",
      );
    }
    this.dataDir = resolve(options.dataDir);
    this.databasePath = join(this.dataDir, DATABASE_FILE);
    this.listenPort = requireInteger('createServer', 'port', options.port ?? DEFAULT_PORT, 0);
    if (this.listenPort > 65_535)
      throw new InvalidOptionError(`createServer: port must be 0 to 65535, got ${this.listenPort}`);
    this.host = options.host ?? DEFAULT_HOST;
    const synchronous = options.synchronous ?? 'full';
    if (synchronous !== 'full' && synchronous !== 'normal')
      throw new InvalidOptionError(
        `createServer: synchronous must be 'full' or 'normal', got '${String(synchronous)}'`,
      );
    this.synchronous = synchronous;
    this.maxBodyBytes = requireInteger(
      'createServer',
      'maxBodyBytes',
      options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      0,
    );
    this.keepAliveTimeoutMs = requireInteger(
      'createServer',
      'keepAliveTimeoutMs',
      options.keepAliveTimeoutMs ?? 65_000,
      0,
    );
    this.stopGraceMs = requireInteger('createServer', 'stopGraceMs', options.stopGraceMs ?? 5000, 0);
    this.clock = options.clock ?? realClock;
    this.pushback = new Pushback(this.clock);

    this.router.add('GET', '/health', ({ res }) => this.health(res));
    addOpsRoutes(this.router, {
      store: () => this.store(),
      commits: this.commits,
      pushback: this.pushback,
      maxBodyBytes: this.maxBodyBytes,
      clock: this.clock,
      onOperation: (event) => this.emit('operation', event),
      onPushback: (event) => this.emit('pushback', event),
    });
    this.tus = new TusEndpoint({
      dataDir: this.dataDir,
      maxUploadBytes: options.maxUploadBytes,
      uploadExpirationMs: options.uploadExpirationMs,
      uploadSweepIntervalMs: options.uploadSweepIntervalMs,
      clock: this.clock,
      onUpload: (upload) => this.emit('upload', upload),
      onRejected: (event) => this.emit('upload-rejected', event),
      onExpired: (event) => this.emit('upload-expired', event),
      onError: (error, method, path) => this.emit('error', { error, method, path }),
    });
    this.tus.mount(this.router);
    this.uploadsDirectory = this.tus.directory;
    this.maxUploadBytes = this.tus.maxUploadBytes;
    this.uploadExpirationMs = this.tus.uploadExpirationMs;
    this.uploadSweepIntervalMs = this.tus.sweepIntervalMs;
  }

  /**
   * Opens the database and the uploads directory (recording any upload a crash left complete but
   * unrecorded), and listens. Rejects with a ListenError when the port is taken (or not allowed).
   */
  async start(): Promise<void> {
    if (this.http) throw new Error('the server is already started; stop() it before starting it again');
    // A data directory made only for this start goes again if the port is taken: nothing was received.
    const madeDataDir = !existsSync(this.dataDir);
    ensureDirectory(this.dataDir);
    const store = new OpsStore(this.databasePath, { synchronous: this.synchronous });
    try {
      await this.tus.open();
    } catch (error) {
      store.close();
      throw error;
    }
    const http = createHttpServer({ noDelay: true }, (req, res) => this.dispatch(req, res));
    http.keepAliveTimeout = this.keepAliveTimeoutMs;
    // A request's headers must be allowed to arrive a little after the keep-alive window they reuse.
    http.headersTimeout = Math.max(http.headersTimeout, this.keepAliveTimeoutMs + 1000);
    try {
      await new Promise<void>((done, fail) => {
        http.once('error', fail);
        http.listen(this.listenPort, this.host, () => {
          http.off('error', fail);
          done();
        });
      });
    } catch (error) {
      store.close();
      await this.tus.close();
      try {
        if (madeDataDir) rmSync(this.dataDir, { recursive: true, force: true });
      } catch {} // tidying only: the port's error is what to report
      throw new ListenError(error as NodeJS.ErrnoException, this.host, this.listenPort);
    }
    http.on('error', () => {}); // after listening, errors belong to connections, which Node handles
    this.listenPort = (http.address() as { port: number }).port;
    this.http = http;
    this.opsStore = store;
    this.stopping = undefined;
    this.startedAtMs = this.clock.now();
    this.emit('listening', { url: this.url, host: this.host, port: this.listenPort });
  }

  /**
   * Stops listening, closes idle keep-alive connections at once, lets requests in progress finish (up to
   * `stopGraceMs`, then closes their connections), and closes the database. Safe to call twice.
   */
  stop(): Promise<void> {
    if (!this.stopping) this.stopping = this.http ? this.shutdown(this.http) : Promise.resolve();
    return this.stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private async shutdown(http: Server): Promise<void> {
    const closed = new Promise<void>((done) => http.close(() => done()));
    http.closeIdleConnections();
    const grace = setTimeout(() => http.closeAllConnections(), this.stopGraceMs);
    // Requests that finish during the grace period leave idle connections behind: close those too.
    const sweep = setInterval(() => http.closeIdleConnections(), 50);
    try {
      await closed;
    } finally {
      clearTimeout(grace);
      clearInterval(sweep);
    }
    this.commits.flush();
    await this.tus.close();
    this.opsStore?.close();
    this.opsStore = undefined;
    this.http = undefined;
    this.emit('closed', {});
  }

  /** The port it listens on (the one picked, after `start()` with port 0). */
  get port(): number {
    return this.listenPort;
  }

  /** `http://host:port`. */
  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `http://${host}:${this.listenPort}`;
  }

  /**
   * For `durationMs` (default: until `clearPushback()`), every `POST /ops/*` is answered `status` (default
   * 503) with `Retry-After: retryAfterSeconds` (default 1), and nothing is applied.
   */
  injectPushback(options: PushbackOptions = {}): void {
    this.pushback.inject(options);
  }

  clearPushback(): void {
    this.pushback.clear();
  }

  /** What was applied, oldest first (all of it unless `limit`). */
  operations(filter: OperationFilter = {}): StoredOperation[] {
    return this.store().list(filter);
  }

  operation(id: number): StoredOperation | undefined {
    return this.store().get(id);
  }

  /** How many operations were applied, in total. */
  get operationCount(): number {
    return this.store().size;
  }

  /**
   * How many times each idempotency key was applied. With correct clients every count is 1: a count above
   * 1 is a duplicate that reached the server's data.
   */
  appliedCountByKey(): Map<string, number> {
    return this.store().appliedCountByKey();
  }

  /** Uploads received whole at `/files/`, oldest first — kept across restarts (`<dataDir>/uploads.jsonl`). */
  uploads(): FinishedUpload[] {
    return this.tus.uploads();
  }

  /** Deletes unfinished uploads past their expiry now and returns their ids (also run every `uploadSweepIntervalMs`). */
  removeExpiredUploads(): Promise<string[]> {
    return this.tus.removeExpired();
  }

  private store(): OpsStore {
    const store = this.opsStore;
    if (store?.isOpen) return store;
    throw HttpError.notRunning();
  }

  private health(res: ServerResponse): void {
    sendJson(res, 200, {
      status: 'ok',
      uptimeMs: this.clock.now() - this.startedAtMs,
      operations: this.store().size,
    });
  }

  private dispatch(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    const search = query < 0 ? '' : url.slice(query + 1);
    const method = req.method ?? 'GET';
    let handler: RouteHandler;
    let params: Record<string, string>;
    try {
      const match = this.router.match(method, path);
      if (!match.found) {
        if (match.allow.length === 0)
          throw new HttpError(
            404,
            'not_found',
            `nothing here: ${method} ${path}; try GET /health, GET /ops, POST /ops/:kind or tus uploads at ${TUS_PATH}/`,
          );
        throw new HttpError(
          405,
          'method_not_allowed',
          `${path} does not accept ${method}; it accepts ${match.allow.join(', ')}`,
          {
            allow: match.allow.join(', '),
          },
        );
      }
      handler = match.handler;
      params = match.params;
    } catch (error) {
      this.fail(req, res, path, error);
      return;
    }
    try {
      const pending = handler({ req, res, params, search });
      if (pending) pending.catch((error: unknown) => this.fail(req, res, path, error));
    } catch (error) {
      this.fail(req, res, path, error);
    }
  }

  private fail(req: IncomingMessage, res: ServerResponse, path: string, error: unknown): void {
    if (res.headersSent || res.destroyed || req.socket.destroyed) {
      res.destroy();
      return;
    }
    if (error instanceof HttpError) {
      sendError(res, error);
      return;
    }
    this.emit('error', { error, method: req.method ?? '', path });
    sendError(
      res,
      new HttpError(
        500,
        'internal',
        `the server failed to handle this request: ${(error as Error)?.message ?? String(error)}`,
      ),
    );
  }
}

/** Creates the embedded receiving server (not started: call `start()`). */
export function createServer(options: ServerOptions): LifelineServer {
  return new LifelineServer(options);
}
