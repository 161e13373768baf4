import { abortPromise, onAbort } from '../core/abort.js';
import { type Classifier, classify as defaultClassify } from '../core/classify.js';
import { type Clock, realClock, type Timer } from '../core/clock.js';
import { InvalidOptionError, TimeoutError } from '../core/errors.js';
import { Emitter } from '../core/events.js';
import { formatDuration } from '../core/format.js';
import { requireInteger, requireNumber } from '../core/validate.js';
import { type Backoff, exponentialBackoff } from '../policy/backoff.js';
import type {
  ConnectivityEvents,
  ConnectivityMonitorOptions,
  ConnectivitySnapshot,
  ProbeTrigger,
  WaitForOnlineOptions,
} from './connectivity-types.js';
import { isLinkFailure, isRefusal } from './link-failure.js';
import type { ConnectivityState, Probe, ProbeResult } from './probe.js';
import type { QualityMonitor } from './quality-monitor.js';

const OWNER = 'ConnectivityMonitor';

/**
 * Watches the link: probes on an interval (backing off while offline), listens to real traffic, and says
 * `online`, `offline` or `unknown` (before the first verdict). One monitor is meant to be shared by every
 * consumer (queue, uploads, sockets): the owner calls `start()`/`stop()`; consumers subscribe, wait and
 * report. Probes never overlap — a `check()` during a probe joins it. Its timers are unref'd, so it never
 * keeps a process alive by itself, except while someone waits in `waitForOnline()`.
 */
export class ConnectivityMonitor extends Emitter<ConnectivityEvents> {
  private readonly probe: Probe;
  private readonly intervalMs: number;
  private readonly offlineBackoff: Backoff;
  private readonly probeTimeoutMs: number;
  private readonly failuresToOffline: number;
  private readonly minProbeGapMs: number;
  private readonly clock: Clock;
  private readonly quality: QualityMonitor | undefined;
  private readonly classify: Classifier;

  private current: ConnectivityState = 'unknown';
  private reasonText = 'no probe yet';
  private sinceMs: number;
  private started = false;
  /** Bumped by stop(): a probe from an earlier epoch changes nothing when it ends. */
  private epoch = 0;
  private inFlight: Promise<ConnectivityState> | undefined;
  private probeController: AbortController | undefined;
  private timer: Timer | undefined;
  private nextProbeAtMs: number | undefined;
  private nextTrigger: ProbeTrigger = 'interval';
  private consecutiveFailures = 0;
  private lastProbeEndMs: number | undefined;
  /** Last time a probe or a request proved the link works. */
  private lastProofMs: number | undefined;
  private waiters = 0;

  constructor(options: ConnectivityMonitorOptions) {
    super();
    if (typeof options?.probe !== 'function') {
      throw new InvalidOptionError(
        `${OWNER}: probe must be a function, such as httpProbe({ url }) or tcpProbe({ host, port }); got ${typeof options?.probe}`,
      );
    }
    this.probe = options.probe;
    this.intervalMs = requireNumber(OWNER, 'intervalMs', options.intervalMs ?? 30_000, 1);
    this.offlineBackoff =
      options.offlineBackoff ??
      exponentialBackoff({ initialDelayMs: 1_000, maxDelayMs: 30_000, jitter: 'equal' });
    this.probeTimeoutMs = requireNumber(OWNER, 'probeTimeoutMs', options.probeTimeoutMs ?? 5_000, 1);
    this.failuresToOffline = requireInteger(OWNER, 'failuresToOffline', options.failuresToOffline ?? 2, 1);
    this.minProbeGapMs = requireNumber(OWNER, 'minProbeGapMs', options.minProbeGapMs ?? 1_000, 0);
    this.clock = options.clock ?? realClock;
    this.quality = options.quality;
    this.classify = options.classify ?? defaultClassify;
    this.sinceMs = this.clock.now();
  }

  get state(): ConnectivityState {
    return this.current;
  }

  /** Starts probing: the first probe runs at once. Calling it again does nothing. */
  start(): void {
    if (this.started) return;
    this.started = true;
    void this.runProbe('start');
  }

  /** Stops probing: cancels the timer and aborts a running probe (whose verdict is then ignored). */
  async stop(): Promise<void> {
    this.started = false;
    this.epoch++;
    this.cancelTimer();
    const running = this.inFlight;
    this.inFlight = undefined;
    this.probeController?.abort(new DOMException('the connectivity monitor stopped', 'AbortError'));
    this.quality?.setLinkState(this.current);
    if (running) await running;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** Probes now (or joins the running probe) and resolves with the state after it. Works while stopped. */
  check(): Promise<ConnectivityState> {
    return this.runProbe('check');
  }

  /**
   * A request succeeded: the link works. Marks it online at once (a waiting `waitForOnline` resolves) and
   * pushes the next interval probe back, since traffic already proves the link.
   * @param latencyMs the request's round trip, for the quality monitor; leave it out for large transfers.
   */
  reportSuccess(latencyMs?: number): void {
    const atMs = this.clock.now();
    this.lastProofMs = atMs;
    this.consecutiveFailures = 0;
    this.quality?.record(latencyMs === undefined ? { ok: true, atMs } : { ok: true, latencyMs, atMs });
    if (this.current === 'online') return;
    this.transition('online', 'a request succeeded', atMs);
    if (this.started && !this.inFlight) this.schedule();
  }

  /**
   * A request failed. When `classify` says the failure is the link's (see `isLinkFailure`), it is recorded
   * as a failed sample and, unless the link is already known to be offline, a probe runs at once (at most
   * one per `minProbeGapMs`), so an outage is noticed in about a second instead of an interval.
   * @returns whether the failure was taken as a link failure.
   */
  reportFailure(error: unknown): boolean {
    const failure = this.classify(error);
    if (!isLinkFailure(failure)) return false;
    // A refusal is the far host's own answer: the path carried it, so it is no lost sample of the link's
    // quality (one dead server must not cut the concurrency advised for every other). It still asks for
    // a probe: the server the link is judged by may be the one that went away.
    if (!isRefusal(failure)) this.quality?.record({ ok: false, atMs: this.clock.now() });
    if (this.started && this.current !== 'offline') this.probeSoon();
    return true;
  }

  /**
   * Resolves when the link is online — at once if it already is. Rejects with a TimeoutError (code TIMEOUT)
   * after `maxWaitMs`, or with the signal's reason when it aborts. Leaves no listener or timer behind.
   */
  waitForOnline(options: WaitForOnlineOptions = {}): Promise<void> {
    const { maxWaitMs, signal } = options;
    try {
      if (maxWaitMs !== undefined)
        requireNumber(`${OWNER}.waitForOnline`, 'maxWaitMs', maxWaitMs, 0, { allowInfinity: true });
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.current === 'online') return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let timer: Timer | undefined;
      const finish = () => {
        unsubscribe();
        detachAbort();
        timer?.cancel();
        this.waiters--;
        this.refreshKeepAlive();
      };
      const unsubscribe = this.on('change', ({ to }) => {
        if (to !== 'online') return;
        finish();
        resolve();
      });
      const detachAbort = onAbort(signal, (reason) => {
        finish();
        reject(reason);
      });
      if (maxWaitMs !== undefined && Number.isFinite(maxWaitMs)) {
        // Not unref'd: this is the caller's own wait, bounded by its maxWaitMs.
        timer = this.clock.setTimer(() => {
          finish();
          reject(new TimeoutError(maxWaitMs, 'waitForOnline', this.stayedOfflineMessage(maxWaitMs)));
        }, maxWaitMs);
      }
      this.waiters++;
      this.refreshKeepAlive();
    });
  }

  snapshot(): ConnectivitySnapshot {
    return {
      state: this.current,
      reason: this.reasonText,
      sinceMs: this.sinceMs,
      consecutiveFailures: this.consecutiveFailures,
      lastProbeAtMs: this.lastProbeEndMs,
      nextProbeAtMs: this.nextProbeAtMs,
      probing: this.inFlight !== undefined,
      started: this.started,
    };
  }

  private runProbe(trigger: ProbeTrigger): Promise<ConnectivityState> {
    if (this.inFlight) return this.inFlight;
    this.cancelTimer();
    this.inFlight = this.probeOnce(trigger, this.epoch);
    return this.inFlight;
  }

  private async probeOnce(trigger: ProbeTrigger, epoch: number): Promise<ConnectivityState> {
    const startMs = this.clock.now();
    // While a probe runs, the next verdict is due by its timeout at the latest.
    this.quality?.setLinkState(this.current, this.probeTimeoutMs);
    const result = await this.invokeProbe();
    if (epoch !== this.epoch) return this.current;
    this.inFlight = undefined;
    this.apply(result, trigger, startMs);
    if (this.started) this.schedule();
    return this.current;
  }

  /** Runs the probe under its timeout; never rejects. */
  private async invokeProbe(): Promise<ProbeResult> {
    const controller = new AbortController();
    this.probeController = controller;
    const timer = this.clock.setTimer(
      () => controller.abort(new TimeoutError(this.probeTimeoutMs, 'connectivity probe')),
      this.probeTimeoutMs,
    );
    this.keepAliveIfWaited(timer);
    const aborted = abortPromise(controller.signal);
    try {
      // The race makes a probe that ignores its signal fail on time all the same.
      const result = await Promise.race([callProbe(this.probe, controller.signal), aborted.promise]);
      return result?.ok === true ? result : { ...result, ok: false };
    } catch (error) {
      return { ok: false, error };
    } finally {
      timer.cancel();
      aborted.dispose();
      if (this.probeController === controller) this.probeController = undefined;
    }
  }

  private apply(result: ProbeResult, trigger: ProbeTrigger, startMs: number): void {
    const atMs = this.clock.now();
    this.lastProbeEndMs = atMs;
    if (result.ok) {
      const latencyMs = result.latencyMs ?? atMs - startMs;
      this.consecutiveFailures = 0;
      this.lastProofMs = atMs;
      this.quality?.record({ ok: true, latencyMs, atMs });
      this.emit('probe', { ok: true, latencyMs, trigger, atMs });
      this.transition(
        'online',
        `probe succeeded in ${formatDuration(latencyMs)}${aside(result.detail)}`,
        atMs,
      );
      return;
    }
    this.consecutiveFailures++;
    const why =
      (result.error === undefined ? 'the probe reported failure' : this.classify(result.error).message) +
      aside(result.detail);
    this.quality?.record({ ok: false, atMs });
    this.emit('probe', {
      ok: false,
      latencyMs: result.latencyMs,
      trigger,
      atMs,
      reason: why,
      error: result.error,
    });
    const decisive =
      this.current === 'unknown' ||
      (this.current === 'online' && this.consecutiveFailures >= this.failuresToOffline);
    if (!decisive) return;
    const reason =
      this.consecutiveFailures === 1
        ? `probe failed: ${why}`
        : `${this.consecutiveFailures} probes failed in a row, last: ${why}`;
    this.transition('offline', reason, atMs);
  }

  private transition(to: ConnectivityState, reason: string, atMs: number): void {
    if (to === this.current) return;
    const from = this.current;
    this.current = to;
    this.reasonText = reason;
    this.sinceMs = atMs;
    this.quality?.setLinkState(to, this.nextProbeInMs());
    this.emit('change', { from, to, atMs, reason });
  }

  /** Arms the timer for the next probe: the interval while all is well, the backoff after failures. */
  private schedule(): void {
    const delayMs =
      this.consecutiveFailures === 0
        ? this.intervalMs
        : this.offlineBackoff.delayMs(this.consecutiveFailures);
    this.arm(this.clock.now() + delayMs, 'interval');
  }

  /** A link failure in traffic: probe now, or as soon as `minProbeGapMs` allows. */
  private probeSoon(): void {
    if (this.inFlight) return;
    const nowMs = this.clock.now();
    const earliestMs = this.lastProbeEndMs === undefined ? nowMs : this.lastProbeEndMs + this.minProbeGapMs;
    if (earliestMs <= nowMs) {
      void this.runProbe('traffic');
      return;
    }
    if (this.nextProbeAtMs === undefined || this.nextProbeAtMs > earliestMs) this.arm(earliestMs, 'traffic');
  }

  private arm(atMs: number, trigger: ProbeTrigger): void {
    this.cancelTimer();
    this.nextProbeAtMs = atMs;
    this.nextTrigger = trigger;
    const timer = this.clock.setTimer(() => this.onTimer(), atMs - this.clock.now());
    this.keepAliveIfWaited(timer);
    this.timer = timer;
    this.quality?.setLinkState(this.current, this.nextProbeInMs());
  }

  private nextProbeInMs(): number | undefined {
    return this.nextProbeAtMs === undefined ? undefined : Math.max(0, this.nextProbeAtMs - this.clock.now());
  }

  private onTimer(): void {
    this.timer = undefined;
    this.nextProbeAtMs = undefined;
    if (!this.started) return;
    const trigger = this.nextTrigger;
    if (trigger === 'interval' && this.current === 'online' && this.consecutiveFailures === 0) {
      // Traffic proved the link since this timer was armed: no need to spend a probe yet.
      const dueMs = (this.lastProofMs ?? 0) + this.intervalMs;
      if (dueMs > this.clock.now()) {
        this.arm(dueMs, 'interval');
        return;
      }
    }
    void this.runProbe(trigger);
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.nextProbeAtMs = undefined;
  }

  /** Timers are unref'd unless someone waits for the link: then the process should live to see it. */
  private keepAliveIfWaited(timer: Timer): void {
    if (this.waiters === 0) timer.unref();
  }

  /** Re-arms the pending timer when waiters come or go, so its unref state follows them. */
  private refreshKeepAlive(): void {
    if (this.timer && this.nextProbeAtMs !== undefined) this.arm(this.nextProbeAtMs, this.nextTrigger);
  }

  private stayedOfflineMessage(maxWaitMs: number): string {
    const waited = formatDuration(maxWaitMs);
    const hint = this.started
      ? 'keep the work queued and wait again, or raise maxWaitMs'
      : 'the monitor is stopped, so nothing probes the link: call start()';
    if (this.current === 'unknown') return `no verdict on the link within ${waited}; ${hint}`;
    return `the link stayed offline for ${waited} (${this.reasonText}); ${hint}`;
  }
}

function callProbe(probe: Probe, signal: AbortSignal): Promise<ProbeResult> {
  try {
    return Promise.resolve(probe({ signal }));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** " — detail", or nothing. */
const aside = (detail: string | undefined) => (detail ? ` — ${detail}` : '');
