import type { Timer } from '../core/clock.js';
import { foregroundKinds } from './background-lane.js';
import { ClaimAhead } from './claim-ahead.js';
import type { AttemptOutcome, Handler } from './handler.js';
import { decideOutcome } from './outcome.js';
import { writeOutcome } from './outcome-write.js';
import type { ClaimRequest } from './store.js';
import { storedResult } from './stored-result.js';
import type { QueueItem } from './types.js';
import type { WorkerSettings } from './worker-settings.js';

export type { WorkerSettings };

interface InFlight {
  item: QueueItem;
  startedMs: number;
  done: Promise<AttemptOutcome>;
  /** The handler has returned; only the outcome's write is left. */
  settling: boolean;
  /** Claimed ahead: the claim did not count this attempt, so its outcome does (see ClaimRequest.startNow). */
  claimedAhead: boolean;
  callerWaiting: boolean;
}

/**
 * Runs items: the drain loop (claims due items while the link is up and the queue is not paused, at the
 * recommended concurrency) and the execution of one attempt with its outcome written back to the store.
 */
export class Worker {
  private readonly inFlight = new Map<number, InFlight>();
  private readonly ahead = new ClaimAhead();
  /**
   * The signal every attempt's handler gets: it aborts only when `stop`'s grace period ends, and then for
   * all of them at once, so one controller serves every attempt (a controller per attempt cost ~2% of an
   * item's CPU). `stop` replaces an aborted one before it returns.
   */
  private attempts = new AbortController();
  /** Aborts as `stop` begins: attempts that only wait (for the link, for a retry) end at once. */
  private stopNotice = new AbortController();
  /** In-flight entries whose handler has returned: their slots are free for the next claims. */
  private settlingCount = 0;
  private active = false;
  private stopping = false;
  private loopDone: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private wakeRequested = false;
  private ranSinceDrained = false;
  private leaseTimer: Timer | undefined;
  private recoveredAtMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly settings: WorkerSettings) {}

  get running(): number {
    return this.inFlight.size;
  }

  /** Items this worker is running now. */
  runningItems(): QueueItem[] {
    return [...this.inFlight.values()].map((entry) => entry.item);
  }

  get concurrency(): number {
    const advised = this.settings.advice?.concurrency() ?? this.settings.maxConcurrency;
    return Math.max(1, Math.min(this.settings.maxConcurrency, Math.floor(advised)));
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    this.stopping = false;
    this.recoveredAtMs = Number.NEGATIVE_INFINITY; // a queue that starts takes back what lapsed, too
    this.loopDone = this.loop();
  }

  /** Stops claiming; waits up to `graceMs` for running attempts, then aborts them and puts them back. */
  async stop(graceMs: number): Promise<void> {
    this.active = false;
    this.stopping = true;
    this.stopNotice.abort(new Error('the queue is stopping'));
    this.wake();
    await this.loopDone;
    await this.releaseAhead();
    const finished = Promise.all([...this.inFlight.values()].map((entry) => entry.done));
    const timer = this.settings.clock.setTimer(() => {
      this.attempts.abort(new Error('the queue is stopping'));
    }, graceMs);
    await finished;
    timer.cancel();
    if (this.attempts.signal.aborted) this.attempts = new AbortController();
    this.stopNotice = new AbortController();
    this.leaseTimer?.cancel();
    this.stopping = false;
  }

  /** Something changed (enqueue, resume, link up, an attempt ended): look for work now. */
  wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.wakeRequested = true;
  }

  /**
   * Takes back what a stopped process left running: to pending, or to dead letter if out of attempts.
   * `sweep`: a running queue's look (see `recoverIntervalMs`), which leaves lapsed claims of live owners.
   */
  async recover(sweep = false): Promise<void> {
    const { store, clock, isOwnerAlive, emit } = this.settings;
    this.recoveredAtMs = clock.now();
    const { requeued, buried } = await store.recover(this.recoveredAtMs, isOwnerAlive, { lapsed: !sweep });
    if (requeued > 0) emit('recovered', { count: requeued });
    for (const item of buried) emit('dead', { item, reason: item.deadReason ?? '' });
  }

  /** Claims one pending item by id, ignoring its schedule, and runs it now for a caller who waits. */
  async runNow(id: number): Promise<AttemptOutcome | undefined> {
    const own = this.ownAttempt(id);
    if (own) return own;
    const [item] = await this.claim({ limit: 1, id, ignoreSchedule: true });
    // The claim finds nothing when this worker's own loop took the item meanwhile: follow that attempt.
    return item ? this.execute(item, false, true) : this.ownAttempt(id);
  }

  /** An item this worker holds: claimed ahead (run now, out of turn), or running (that attempt's outcome). */
  private ownAttempt(id: number): Promise<AttemptOutcome> | undefined {
    const ahead = this.ahead.takeFirst((item) => item.id === id);
    if (ahead) return this.execute(ahead, true, true);
    return this.inFlight.get(id)?.done;
  }

  /** One item of another kind beside running background items, when they hold every slot. */
  private async startBesideBackground(): Promise<void> {
    const running = [...this.inFlight.values()].filter((entry) => !entry.settling).map((entry) => entry.item);
    const kinds = foregroundKinds(running, this.settings.handlers, this.settings.backgroundKinds);
    if (!kinds) return;
    const ahead = this.ahead.takeFirst((item) => kinds.includes(item.kind));
    if (ahead) return void this.execute(ahead, true);
    const [item] = await this.claim({ limit: 1, startNow: 1, kinds });
    if (item) void this.execute(item);
  }

  /** Slots taken by handlers still running. */
  private get busy(): number {
    return this.inFlight.size - this.settlingCount;
  }

  /** Whether the loop may claim work now. */
  private get canClaim(): boolean {
    return this.active && !this.settings.isPaused() && this.settings.link?.state !== 'offline';
  }

  /** A claim for this worker: its owner, lease, kinds and clock fill in the rest of the request. */
  private claim(
    options: Pick<ClaimRequest, 'limit' | 'id' | 'ignoreSchedule' | 'startNow'> & { kinds?: string[] },
  ): Promise<QueueItem[]> {
    const { store, clock, owner, leaseMs, handlers } = this.settings;
    const nowMs = clock.now();
    const { kinds = [...handlers.keys()], ...rest } = options;
    return store.claim({ nowMs, owner, leaseUntilMs: nowMs + leaseMs, kinds, ...rest });
  }

  private async loop(): Promise<void> {
    let pausedReadAtMs = Number.NEGATIVE_INFINITY;
    while (this.active) {
      try {
        // At the start, and now and then: another process (a killed `send --wait`) may have died since.
        if (this.settings.clock.now() - this.recoveredAtMs >= this.settings.recoverIntervalMs)
          await this.recover(this.recoveredAtMs !== Number.NEGATIVE_INFINITY);
        // Another process may pause the queue: re-read the flag, but at most once per poll interval.
        if (this.settings.clock.now() - pausedReadAtMs >= this.settings.pollIntervalMs) {
          pausedReadAtMs = this.settings.clock.now();
          await this.settings.refreshPaused();
        }
        let capacity = this.concurrency - this.busy;
        if (!this.canClaim) await this.releaseAhead();
        else if (capacity > 0 && this.settings.handlers.size > 0) {
          for (; capacity > 0 && this.ahead.size > 0; capacity--)
            void this.execute(this.ahead.take() as QueueItem, true);
          if (capacity > 0) {
            const limit = capacity + this.ahead.extraFor(this.concurrency);
            const items = await this.claim({ limit, startNow: capacity });
            for (const item of items.slice(0, capacity)) void this.execute(item);
            this.ahead.keep(items.slice(capacity));
            if (items.length === limit) continue;
          }
        } else if (this.busy < this.settings.maxConcurrency) await this.startBesideBackground();
        await this.waitForWake(await this.idleMs());
      } catch (error) {
        this.settings.emit('error', { error });
        await this.waitForWake(this.settings.pollIntervalMs);
      }
    }
  }

  /** How long to sleep when there is nothing to claim: until the next item is due, polling for other writers. */
  private async idleMs(): Promise<number> {
    const { pollIntervalMs, store, clock } = this.settings;
    if (!this.canClaim || this.busy >= this.concurrency) return pollIntervalMs;
    // Only the next due time: counting every status (COUNT over all completed rows) on each idle turn
    // would grow with the store until a purge.
    const nextDueAtMs = (await store.nextDueAtMs()) ?? Infinity;
    if (this.inFlight.size === 0 && this.ranSinceDrained && nextDueAtMs > clock.now()) {
      this.ranSinceDrained = false;
      this.settings.emit('drained', {});
    }
    // Due items that could not be claimed are another process's, or of kinds without a handler here:
    // poll for them, never spin.
    const untilDueMs = nextDueAtMs - clock.now();
    return untilDueMs <= 0 ? pollIntervalMs : Math.min(pollIntervalMs, untilDueMs);
  }

  private waitForWake(ms: number): Promise<void> {
    if (this.wakeRequested || !this.active) {
      this.wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = this.settings.clock.setTimer(() => {
        this.wakeUp = undefined;
        resolve();
      }, ms);
      this.wakeUp = () => {
        timer.cancel();
        this.wakeUp = undefined;
        resolve();
      };
    });
  }

  /** One attempt of one claimed item, its outcome written back. Never rejects. */
  private execute(item: QueueItem, claimedAhead = false, callerWaiting = false): Promise<AttemptOutcome> {
    const startedMs = this.settings.clock.now();
    const entry = { item, startedMs, settling: false, claimedAhead, callerWaiting } as InFlight;
    this.inFlight.set(item.id, entry);
    this.ranSinceDrained = true;
    this.renewLeases();
    entry.done = this.attempt(entry).finally(() => {
      if (entry.settling) this.settlingCount--;
      this.inFlight.delete(item.id);
      this.wake();
    });
    return entry.done;
  }

  /**
   * The handler has returned and its outcome's write is queued: the slot takes the next item now, so
   * with the SQLite store that claim joins the write's group commit instead of paying a commit of its own.
   * Handlers running at once still never exceed the concurrency.
   */
  private handlerReturned(entry: InFlight): void {
    this.ahead.recordAttempt(this.settings.clock.now() - entry.startedMs);
    entry.settling = true;
    this.settlingCount++;
    this.wake();
  }

  private async attempt(entry: InFlight): Promise<AttemptOutcome> {
    const { item, claimedAhead } = entry;
    const { signal } = this.attempts;
    const { store, clock, owner, emit, link } = this.settings;
    const handler = this.settings.handlers.get(item.kind) as Handler;
    const { startedMs } = entry;
    emit('started', { item });
    let result: unknown;
    try {
      result = await handler(item.payload, {
        item,
        idempotencyKey: item.idempotencyKey,
        attempt: item.attempts,
        signal,
        stopping: this.stopNotice.signal,
        ...(entry.callerWaiting ? { callerWaiting: true } : {}),
      });
    } catch (error) {
      const outcome = this.failed(item, claimedAhead, error, signal);
      this.handlerReturned(entry);
      return outcome;
    }
    link?.reportSuccess?.();
    const stored = storedResult(result);
    const storable = stored?.value;
    const complete = () => {
      const nowMs = clock.now();
      return store.complete(
        item.id,
        owner,
        stored ? { nowMs, claimedAhead, result: storable, resultJson: stored.json } : { nowMs, claimedAhead },
      );
    };
    // Written before the slot takes the next item: that claim joins this write's commit. (Awaited in a
    // try, not through .catch(): each promise hop more moves the claim out of the write's commit.)
    const writing = this.writeOutcome(complete, signal);
    this.handlerReturned(entry);
    let written: boolean;
    try {
      written = await writing;
    } catch (error) {
      emit('error', { error });
      written = false;
    }
    if (!written) {
      // The effect happened but was not recorded (or the item is no longer ours): it is not reported
      // completed; it is recovered and runs again with the same idempotency key, so nothing applies twice.
      return { status: 'released', reason: 'its completion was not recorded; it will run again' };
    }
    const completed = { ...item, status: 'completed' as const, completedAtMs: clock.now(), result: storable };
    emit('completed', { item: completed, durationMs: clock.now() - startedMs, result });
    return { status: 'completed', result };
  }

  /** An outcome's write, tried again while the store refuses it (outcome-write.ts). */
  private writeOutcome<T>(write: () => Promise<T>, signal: AbortSignal): Promise<T> {
    const { clock, emit } = this.settings;
    return writeOutcome(write, clock, (error) => emit('error', { error }), signal);
  }

  private async failed(
    item: QueueItem,
    claimedAhead: boolean,
    error: unknown,
    signal: AbortSignal,
  ): Promise<AttemptOutcome> {
    const { store, clock, owner, emit, link, classify, backoff } = this.settings;
    const nowMs = clock.now();
    const write = (outcome: () => Promise<boolean>) => this.writeOutcome(outcome, signal);
    try {
      const failure = classify(error);
      // Cut by the stop: at the grace period's end, or by the handler at the stop notice (`stopping`).
      if (this.stopping && (signal.aborted || failure.kind === 'cancelled')) {
        await write(() => store.release(item.id, owner, { nowMs, claimedAhead }));
        emit('released', { item, reason: 'the queue stopped during the attempt' });
        return { status: 'released', reason: 'stopped' };
      }
      link?.reportFailure?.(error); // the monitor decides whether it speaks of the link
      const outcome = decideOutcome(item, failure, backoff, nowMs);
      if (outcome.action === 'release' || (failure.retryable && link?.state === 'offline')) {
        await write(() => store.release(item.id, owner, { nowMs, claimedAhead }));
        emit('released', { item, reason: `the link is down: ${failure.message}` });
        return { status: 'released', reason: `offline: ${failure.message}` };
      }
      if (outcome.action === 'bury') {
        await write(() =>
          store.bury(item.id, owner, { nowMs, claimedAhead, reason: outcome.reason, error: outcome.error }),
        );
        emit('dead', {
          item: { ...item, status: 'dead', deadReason: outcome.reason },
          reason: outcome.reason,
          error: outcome.error,
        });
        return { status: 'dead', reason: outcome.reason, error };
      }
      // Retried at nextAttemptAtMs: counted (reschedule), or not when a breaker refused it unsent (defer).
      const { nextAttemptAtMs, delayMs, error: itemError } = outcome;
      const settled = { nowMs, claimedAhead, nextAttemptAtMs, error: itemError };
      await write(() =>
        outcome.action === 'defer'
          ? store.release(item.id, owner, settled)
          : store.reschedule(item.id, owner, settled),
      );
      emit('retrying', { item, delayMs, nextAttemptAtMs, error: itemError });
      return { status: 'retrying', reason: failure.message };
    } catch (storeError) {
      emit('error', { error: storeError });
      return { status: 'retrying', reason: 'the outcome could not be recorded; the item will be recovered' };
    }
  }

  /** Items claimed ahead go back to pending, their attempt not counted: the worker paused, lost the link or stops. */
  private async releaseAhead(): Promise<void> {
    const { store, owner, clock } = this.settings;
    const nowMs = clock.now();
    // All at once: with the SQLite store they share one commit.
    await Promise.all(
      this.ahead.takeAll().map((item) =>
        store.release(item.id, owner, { nowMs, claimedAhead: true }).catch((error: unknown) => {
          this.settings.emit('error', { error }); // its lease lapses, and it is recovered
        }),
      ),
    );
  }

  /** Keeps the claims of running items fresh while they run longer than a third of the lease. */
  private renewLeases(): void {
    if (this.leaseTimer) return;
    const { clock, leaseMs, store, owner } = this.settings;
    const tick = () => {
      this.leaseTimer = undefined;
      if (this.inFlight.size === 0 && this.ahead.size === 0) return;
      store
        .renew([...this.inFlight.keys(), ...this.ahead.ids()], owner, clock.now() + leaseMs)
        .catch((error: unknown) => this.settings.emit('error', { error }));
      this.leaseTimer = clock.setTimer(tick, leaseMs / 3);
      this.leaseTimer.unref();
    };
    this.leaseTimer = clock.setTimer(tick, leaseMs / 3);
    this.leaseTimer.unref();
  }
}
