import { type Classifier, classify as defaultClassify } from '../core/classify.js';
import { type Clock, realClock } from '../core/clock.js';
import { InvalidOptionError } from '../core/errors.js';
import { Emitter } from '../core/events.js';
import { requireInteger, requireNumber } from '../core/validate.js';
import { type Backoff, exponentialBackoff } from '../policy/backoff.js';
import type { QueueEvents, SyncSummary } from './events.js';
import type { AttemptOutcome, Handler } from './handler.js';
import type { ConcurrencyAdvice, LinkStatus } from './link.js';
import { checkKind, newItem } from './new-item.js';
import { RunWaiters } from './run-waiters.js';
import type { QueueStore } from './store.js';
import type { EnqueueOptions, ListFilter, QueueCounts, QueueItem } from './types.js';
import { Worker } from './worker.js';

export interface OperationQueueOptions {
  store: QueueStore;
  /** The shared link monitor: the worker stops while offline and restarts as soon as the link is back. */
  connectivity?: LinkStatus;
  /** The QualityMonitor: its recommended concurrency is used, capped by `maxConcurrency`. */
  quality?: ConcurrencyAdvice;
  /** At most this many operations at once. Default 4. */
  maxConcurrency?: number;
  /** Attempts before an item goes to the dead letter. Default 10. */
  maxAttempts?: number;
  /** Between attempts of one item. Default exponential from 1 s to 5 min, full jitter. */
  backoff?: Backoff;
  classify?: Classifier;
  clock?: Clock;
  /** Who claims items (unique per process). Default a random id; node/ passes host:pid:random. */
  owner?: string;
  /** Whether another worker still lives (node/: its process exists). Default: trust claims until they lapse. */
  isOwnerAlive?: (owner: string) => boolean;
  /** A claim lapses this long after it was made or last renewed. Default 60 s. */
  leaseMs?: number;
  /** How often an idle worker looks for items other processes added. Default 1 s. */
  pollIntervalMs?: number;
  /**
   * How often a started queue takes back items that processes `isOwnerAlive` says are gone left running
   * (a killed `send --wait`). When it starts it also takes back claims that lapsed. Default 10 s.
   */
  recoverIntervalMs?: number;
}

export interface QueueStatus extends QueueCounts {
  paused: boolean;
  link: 'online' | 'offline' | 'unknown';
  /** Attempts running in this process now. */
  runningHere: number;
  concurrency: number;
  workerStarted: boolean;
}

/** What `run()` tells the caller: done now, or queued (and why), with a promise of the final result. */
export interface RunHandle<Result = unknown> {
  item: QueueItem;
  status: 'completed' | 'queued' | 'dead';
  result?: Result;
  /** Why it is queued or dead. */
  reason?: string;
  /** Resolves with the result once the item completes in this process; rejects if it dies. */
  done: Promise<Result>;
}

/** One operation to write down: `enqueueMany`'s entries. */
type NewEntry = { kind: string; payload: unknown; options?: EnqueueOptions };

/**
 * The outbox: work that must reach a server is written down first, then runs — by priority, with
 * retries and backoff, through crashes and outages, exactly once in effect (every item carries an
 * idempotency key its handler sends). Nothing disappears silently: an item completes, or lands in the
 * dead letter with its reason.
 */
export class OperationQueue extends Emitter<QueueEvents> {
  readonly maxAttempts: number;
  private readonly store: QueueStore;
  private readonly clock: Clock;
  private readonly handlers = new Map<string, Handler>();
  private readonly backgroundKinds = new Set<string>();
  private readonly worker: Worker;
  private readonly waiters = new RunWaiters();
  private readonly link: LinkStatus | undefined;
  private paused = false;
  private started = false;
  private detachLink: (() => void) | undefined;

  constructor(options: OperationQueueOptions) {
    super();
    if (!options?.store)
      throw new InvalidOptionError(
        'OperationQueue: a store is required (MemoryQueueStore or SqliteQueueStore)',
      );
    this.store = options.store;
    this.clock = options.clock ?? realClock;
    this.link = options.connectivity;
    this.maxAttempts = requireInteger('OperationQueue', 'maxAttempts', options.maxAttempts ?? 10, 1);
    this.worker = new Worker({
      store: this.store,
      clock: this.clock,
      classify: options.classify ?? defaultClassify,
      backoff: options.backoff ?? exponentialBackoff({ initialDelayMs: 1000, maxDelayMs: 300_000 }),
      owner: options.owner ?? `queue:${crypto.randomUUID()}`,
      leaseMs: requireNumber('OperationQueue', 'leaseMs', options.leaseMs ?? 60_000, 1),
      pollIntervalMs: requireNumber('OperationQueue', 'pollIntervalMs', options.pollIntervalMs ?? 1000, 1),
      maxConcurrency: requireInteger('OperationQueue', 'maxConcurrency', options.maxConcurrency ?? 4, 1),
      isOwnerAlive: options.isOwnerAlive ?? (() => true),
      recoverIntervalMs: requireNumber(
        'OperationQueue',
        'recoverIntervalMs',
        options.recoverIntervalMs ?? 10_000,
        1,
      ),
      link: this.link,
      advice: options.quality,
      handlers: this.handlers,
      backgroundKinds: this.backgroundKinds,
      emit: (name, event) => {
        this.waiters.observe(name, event);
        this.emit(name, event);
      },
      isPaused: () => this.paused,
      refreshPaused: () => this.refreshPaused(),
    });
  }

  /**
   * Registers what an operation of `kind` does. The handler should send `context.idempotencyKey`.
   * `background`: its items are long transfers (uploads) that never hold every slot — beside them, one
   * item of another kind may always run, even when the link's quality advises a single slot.
   */
  handle<Payload = unknown, Result = unknown>(
    kind: string,
    handler: Handler<Payload, Result>,
    options: { background?: boolean } = {},
  ): this {
    checkKind(kind);
    if (this.handlers.has(kind))
      throw new InvalidOptionError(`OperationQueue: kind '${kind}' already has a handler`);
    this.handlers.set(kind, handler as Handler);
    if (options.background) this.backgroundKinds.add(kind);
    this.worker.wake();
    return this;
  }

  /** Writes an operation down and returns at once; the worker runs it when it can. */
  async enqueue<Payload>(
    kind: string,
    payload: Payload,
    options?: EnqueueOptions,
  ): Promise<QueueItem<Payload>> {
    return (await this.offer(kind, payload, options)).item;
  }

  /** As `enqueue`, and says whether the item is new (false: its key was stored, and that item is returned). */
  async offer<Payload>(
    kind: string,
    payload: Payload,
    options: EnqueueOptions = {},
  ): Promise<{ item: QueueItem<Payload>; inserted: boolean }> {
    const [result] = await this.insert([{ kind, payload, options }]);
    return result as { item: QueueItem<Payload>; inserted: boolean };
  }

  /** The worker is not woken: `run()` tries the item itself first, and wakes it after. */
  private async offerQuietly(kind: string, payload: unknown, options: EnqueueOptions) {
    const [result] = await this.insert([{ kind, payload, options }], false);
    return result as { item: QueueItem; inserted: boolean };
  }

  /** Writes several operations down in one transaction: all or none. */
  async enqueueMany(entries: readonly NewEntry[]): Promise<QueueItem[]> {
    return (await this.insert(entries)).map((result) => result.item);
  }

  private async insert(
    entries: readonly NewEntry[],
    wake = true,
  ): Promise<Array<{ item: QueueItem; inserted: boolean }>> {
    const nowMs = this.clock.now();
    const fresh = entries.map((entry) =>
      newItem(entry.kind, entry.payload, entry.options ?? {}, nowMs, this.maxAttempts),
    );
    const results = await this.store.insert(fresh);
    for (const { item, inserted } of results) if (inserted) this.emit('enqueued', { item });
    if (wake) this.worker.wake();
    return results;
  }

  /**
   * Tries an operation now if it can (the link is not down, the queue not paused); otherwise, or if the
   * attempt fails transiently, it stays queued and the handle says so. `done` resolves when it completes.
   */
  async run<Payload, Result = unknown>(
    kind: string,
    payload: Payload,
    options: EnqueueOptions = {},
  ): Promise<RunHandle<Result>> {
    // Not woken by the insert: a started worker would claim the item before this call could.
    const { item } = await this.offerQuietly(kind, payload, options);
    const done = this.waiters.waitFor<Result>(item.id);
    done.catch(() => {}); // a caller who only reads `status` must not see an unhandled rejection
    const queued = (reason: string): RunHandle<Result> => ({ item, status: 'queued', reason, done });
    try {
      if (!this.handlers.has(kind)) return queued(`no handler for '${kind}' in this process`);
      if (await this.refreshPaused()) return queued('the queue is paused');
      if (this.link?.state === 'offline') return queued('the link is offline');
      const outcome = await this.worker.runNow(item.id);
      if (!outcome) return queued('another worker is running it');
      return this.handleFor(item, outcome, done);
    } finally {
      this.worker.wake(); // whatever happened here, the worker now knows of the item
    }
  }

  /** Starts the worker: it drains by itself whenever the link is up. */
  start(): this {
    if (this.started) return this;
    this.started = true;
    // Back online: look for work at once. Offline: give back what was claimed ahead.
    this.detachLink = this.link?.on('change', () => this.worker.wake());
    this.worker.start();
    return this;
  }

  /** Stops the worker; running attempts get `graceMs` (default 10 s) to finish, then go back to pending. */
  async stop(graceMs = 10_000): Promise<void> {
    this.detachLink?.();
    this.detachLink = undefined;
    this.started = false;
    await this.worker.stop(graceMs);
  }

  /** Stops the worker and closes the store. */
  async close(): Promise<void> {
    await this.stop();
    await this.store.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Stops new attempts — here and in every process using the same store — until `resume()`; kept across restarts. */
  async pause(): Promise<void> {
    await this.store.writePaused(true);
    this.setPaused(true);
  }

  async resume(): Promise<void> {
    await this.store.writePaused(false);
    this.setPaused(false);
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Reads the shared paused flag (another process may have changed it). */
  async refreshPaused(): Promise<boolean> {
    this.setPaused(await this.store.readPaused());
    return this.paused;
  }

  private setPaused(paused: boolean): void {
    if (this.paused === paused) return;
    this.paused = paused;
    this.emit(paused ? 'paused' : 'resumed', {});
    this.worker.wake(); // resumed: look for work; paused: give back what was claimed ahead
  }

  /**
   * Runs every pending item now (ignoring backoff waits), each once, and says what happened. A paused
   * queue runs nothing (`paused` in the summary says why): pause holds in every process until `resume()`.
   */
  async sync(): Promise<SyncSummary> {
    const summary: SyncSummary = {
      attempted: 0,
      completed: 0,
      retrying: 0,
      dead: 0,
      released: 0,
      remaining: 0,
      paused: false,
    };
    if (await this.refreshPaused()) {
      summary.paused = true;
      summary.remaining = (await this.store.counts()).pending;
      return summary;
    }
    await this.worker.recover();
    const ids = (await this.listAll('pending')).map((item) => item.id);
    const running = new Set<Promise<void>>();
    for (const id of ids) {
      while (running.size >= this.worker.concurrency) await Promise.race(running);
      const task = this.worker.runNow(id).then((outcome) => {
        if (!outcome) return;
        summary.attempted++;
        summary[outcome.status]++;
      });
      const tracked = task.finally(() => running.delete(tracked));
      running.add(tracked);
    }
    await Promise.all(running);
    summary.remaining = (await this.store.counts()).pending;
    return summary;
  }

  async status(): Promise<QueueStatus> {
    await this.refreshPaused();
    return {
      ...(await this.store.counts()),
      paused: this.paused,
      link: this.link?.state ?? 'unknown',
      runningHere: this.worker.running,
      concurrency: this.worker.concurrency,
      workerStarted: this.started,
    };
  }

  list(filter?: ListFilter): Promise<QueueItem[]> {
    return this.store.list(filter);
  }

  get(id: number): Promise<QueueItem | undefined> {
    return this.store.get(id);
  }

  /** Removes an item that is not running. */
  async remove(id: number): Promise<boolean> {
    const removed = await this.store.remove(id);
    if (removed) {
      this.emit('removed', { id });
      this.waiters.settle(id, {
        status: 'dead',
        reason: 'removed from the queue',
        error: new Error(`item ${id} was removed`),
      });
    }
    return removed;
  }

  /** Brings dead items (one, or all) back to pending with fresh attempts. Returns how many. */
  async retryDead(id?: number): Promise<number> {
    const count = await this.store.retryDead(this.clock.now(), id);
    if (count > 0) {
      this.emit('revived', { count });
      this.worker.wake();
    }
    return count;
  }

  /** Removes completed and dead items — and pending ones too with `includePending`. Never running ones. */
  async clear(options: { includePending?: boolean } = {}): Promise<number> {
    const count = await this.store.clear({ includePending: options.includePending === true });
    this.emit('cleared', { count });
    return count;
  }

  /** Removes completed items older than `olderThanMs` (default 0: all completed). */
  async purgeCompleted(options: { olderThanMs?: number } = {}): Promise<number> {
    const count = await this.store.purgeCompleted(this.clock.now() - (options.olderThanMs ?? 0));
    this.emit('purged', { count });
    return count;
  }

  private handleFor<Result>(
    item: QueueItem,
    outcome: AttemptOutcome,
    done: Promise<Result>,
  ): RunHandle<Result> {
    switch (outcome.status) {
      case 'completed':
        return { item, status: 'completed', result: outcome.result as Result, done };
      case 'dead':
        return { item, status: 'dead', reason: outcome.reason, done };
      default:
        return { item, status: 'queued', reason: outcome.reason, done };
    }
  }

  private async listAll(status: 'pending'): Promise<QueueItem[]> {
    const all: QueueItem[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await this.store.list({ status, limit: 1000, offset });
      all.push(...page);
      if (page.length < 1000) return all;
    }
  }
}
