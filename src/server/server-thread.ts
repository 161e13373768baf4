import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import { InvalidOptionError } from '../core/errors.js';
import { Emitter } from '../core/events.js';
import { ListenError } from './listen-error.js';
import {
  DEFAULT_HOST,
  DEFAULT_PORT,
  type LifelineServer,
  type ServerEvents,
  type ServerOptions,
} from './server.js';
import type { FinishedUpload } from './upload-log.js';

/**
 * V8 flags for the server thread's isolate. The Buffers an upload server holds (bodies read ahead, the
 * file writer's queue, Buffers not yet collected: 20–25 MB at 1 GB/s) count against V8's global heap
 * limit, which starts small and grows with the heap: with the default start, the server ran a full
 * mark-compact about every 100 ms of an upload, 3–21 ms each, and a connection reset during such a pause
 * threw away what the kernel held for it. With a 64 MB initial heap it ran none in 400 MB, and uploads took
 * about a fifth less time (docs/design-notes.md).
 */
export const SERVER_THREAD_V8_FLAGS: readonly string[] = ['--initial-heap-size=64'];

/** The server's events that cross to the caller's thread (`listening` and `closed` are `start`/`stop`). */
export const RELAYED_EVENTS = [
  'operation',
  'pushback',
  'upload',
  'upload-rejected',
  'upload-expired',
  'error',
] as const satisfies ReadonlyArray<keyof ServerEvents>;
export type RelayedEvent = (typeof RELAYED_EVENTS)[number];

export interface ServerThreadOptions extends Omit<ServerOptions, 'clock'> {
  /** Which events to pass to this thread (each costs a message). Default all of `RELAYED_EVENTS`. */
  events?: readonly RelayedEvent[];
}

/** What the server reports once it listens: these of `LifelineServer`'s properties. */
export type ServerThreadInfo = Pick<
  LifelineServer,
  | 'url'
  | 'host'
  | 'port'
  | 'dataDir'
  | 'databasePath'
  | 'uploadsDirectory'
  | 'synchronous'
  | 'maxBodyBytes'
  | 'maxUploadBytes'
  | 'uploadExpirationMs'
>;

interface Settle<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

/** A thrown error, as it crosses threads: subclasses and `code` do not survive structured cloning. */
export interface SerializedError {
  name: string;
  message: string;
  /** Node's error code (`ListenError`: `EADDRINUSE`…) and the message of the error behind it. */
  code?: string;
  causeMessage?: string;
}

export type ToServerThread = { type: 'uploads'; id: number } | { type: 'stop' };
export type FromServerThread =
  | { type: 'ready'; info: ServerThreadInfo }
  | { type: 'failed'; error: SerializedError }
  | { type: 'event'; name: RelayedEvent; event: unknown }
  | { type: 'uploads'; id: number; uploads: FinishedUpload[] }
  | { type: 'stopped'; operations: number; uploads: number };

/**
 * The embedded server on a thread of its own, as `lifeline serve` runs it: a fresh V8 isolate, so its heap
 * can start at the size an upload server needs (`SERVER_THREAD_V8_FLAGS`; a running isolate's heap cannot
 * be resized), and in this process, so it ends with it — even on SIGKILL, which a re-executed child process
 * would survive. Its event loop is its own: what the caller's thread does (printing, a progress view) does
 * not delay a request. Start it with `startServerThread(options)`.
 */
export class ServerThread extends Emitter<Pick<ServerEvents, RelayedEvent>> {
  /**
   * Settles when the thread ends: resolves after `stop()`, rejects if the server died first (an uncaught
   * error in it), so a caller that waits on it learns that it no longer serves.
   */
  readonly ended: Promise<void>;
  private readonly pending = new Map<number, Settle<FinishedUpload[]>>();
  private nextId = 1;
  private stopping: Promise<{ operations: number; uploads: number }> | undefined;
  private stopSettle: Settle<{ operations: number; uploads: number }> | undefined;
  /** Set once the thread has ended: what a request made after that is refused with. */
  private gone: Error | undefined;

  /** @internal use `startServerThread`. */
  constructor(
    private readonly worker: Worker,
    readonly info: ServerThreadInfo,
  ) {
    super();
    worker.on('message', (message: FromServerThread) => this.receive(message));
    this.ended = new Promise<void>((resolve, reject) => {
      let crash: unknown;
      worker.once('error', (error) => {
        crash = error;
      });
      worker.once('exit', (code) => {
        const died = this.stopping
          ? undefined
          : crash instanceof Error
            ? crash
            : new Error(`the server thread ended unexpectedly (exit code ${code})`);
        this.gone = died ?? new Error('the server thread has stopped');
        // Nothing answers once the thread is gone: settle whatever still waits for an answer.
        for (const { reject: refuse } of this.pending.values()) refuse(this.gone);
        this.pending.clear();
        this.stopSettle?.reject(crash instanceof Error ? crash : this.gone);
        if (died) reject(died);
        else resolve();
      });
    });
    this.ended.catch(() => {}); // a caller that never waits on it is not an unhandled rejection
  }

  get url(): string {
    return this.info.url;
  }

  get port(): number {
    return this.info.port;
  }

  /** Uploads received whole, oldest first (`LifelineServer.uploads()`); rejects once the thread has ended. */
  uploads(): Promise<FinishedUpload[]> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'uploads', id } satisfies ToServerThread);
    });
  }

  /**
   * Stops the server as `LifelineServer.stop()` does, then the thread; says what it received in all. Safe
   * to call twice. Rejects if the server could not stop cleanly, or had died before.
   */
  stop(): Promise<{ operations: number; uploads: number }> {
    this.stopping ??= this.gone
      ? Promise.reject(this.gone)
      : new Promise((resolve, reject) => {
          this.stopSettle = { resolve, reject };
          this.worker.postMessage({ type: 'stop' } satisfies ToServerThread);
        });
    return this.stopping;
  }

  private receive(message: FromServerThread): void {
    switch (message.type) {
      case 'event':
        this.emit(
          message.name,
          (message.name === 'error' ? reviveErrorEvent(message.event) : message.event) as never,
        );
        break;
      case 'uploads':
        this.pending.get(message.id)?.resolve(message.uploads);
        this.pending.delete(message.id);
        break;
      case 'stopped':
        this.stopSettle?.resolve({ operations: message.operations, uploads: message.uploads });
        break;
      case 'failed': // stopping failed; the thread ends next
        this.stopSettle?.reject(revive(message.error));
        break;
    }
  }
}

/**
 * Starts the embedded server on its own thread and resolves once it listens. Rejects as `createServer` and
 * `start()` would: `InvalidOptionError` for bad options, `ListenError` (with Node's `code`) when it cannot
 * listen.
 *
 * The heap flags are set for the isolates this process makes from now on (`v8.setFlagsFromString`): they
 * are read when an isolate is made, so the running one is unchanged; a later worker of the same process
 * gets them too.
 */
export async function startServerThread(options: ServerThreadOptions): Promise<ServerThread> {
  for (const flag of SERVER_THREAD_V8_FLAGS) v8.setFlagsFromString(flag);
  const { events = RELAYED_EVENTS, ...serverOptions } = options;
  const worker = spawnWorker({ options: serverOptions, events: [...events] });
  let exited: (code: number) => void = () => {};
  let crashed: (error: Error) => void = () => {};
  const first = await new Promise<FromServerThread>((resolve, reject) => {
    exited = (code) => reject(new Error(`the server thread ended before it listened (exit code ${code})`));
    crashed = reject;
    worker.once('message', resolve);
    worker.once('error', crashed);
    worker.once('exit', exited);
  }).finally(() => {
    worker.off('exit', exited);
    worker.off('error', crashed);
  });
  if (first.type === 'ready') return new ServerThread(worker, first.info);
  await worker.terminate();
  throw first.type === 'failed'
    ? revive(first.error, serverOptions)
    : new Error('the server thread did not start');
}

/**
 * Built, the worker is server-thread-worker.js beside this file. From source (TypeScript run by tsx, as the
 * tests run it), a worker does not inherit tsx's loader on Node 20: it registers tsx itself, then imports
 * the .ts entry.
 */
function spawnWorker(workerData: { options: Omit<ServerOptions, 'clock'>; events: RelayedEvent[] }): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./server-thread-worker.js', import.meta.url), { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./server-thread-worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(tsx)}).then((tsx) => tsx.register()).then(() => import(${JSON.stringify(entry)}))`;
  return new Worker(code, { eval: true, workerData });
}

function reviveErrorEvent(event: unknown): ServerEvents['error'] {
  const { error, method, path } = event as { error: SerializedError; method: string; path: string };
  return { error: revive(error), method, path };
}

/** The error again, on this side: lifeline's own classes where it has them, else an Error with name and code. */
function revive(error: SerializedError, listenAt: { host?: string; port?: number } = {}): Error {
  const code = error.code === undefined ? {} : { code: error.code };
  if (error.name === 'ListenError') {
    const cause = Object.assign(new Error(error.causeMessage ?? error.message), code);
    return new ListenError(cause, listenAt.host ?? DEFAULT_HOST, listenAt.port ?? DEFAULT_PORT);
  }
  if (error.name === 'InvalidOptionError') return new InvalidOptionError(error.message);
  return Object.assign(new Error(error.message), { name: error.name }, code);
}
