import { type Clock, realClock } from '../core/clock.js';
import { Emitter } from '../core/events.js';
import { requireInteger, requireNumber } from '../core/validate.js';
import type { ConnectivityState } from './probe.js';
import { describeMeasurements, type LevelInput, levelOf, type QualityLevel } from './quality-level.js';
import { concurrencyFor, type Recommendations, recommend } from './recommendations.js';
import { SampleWindow } from './sample-window.js';

/** One observation of the link: a probe or a real request. */
export interface QualitySample {
  ok: boolean;
  /**
   * Round-trip time; only successful samples' latencies are used. Pass it for requests whose duration
   * reflects the round trip (small requests), not for a 50 MB upload. Not a finite number ≥ 0 → ignored.
   */
  latencyMs?: number;
  /** When it happened. Default the clock's now. */
  atMs?: number;
}

export interface QualityMonitorOptions {
  /** Default the real clock; tests pass a FakeClock. */
  clock?: Clock;
  /** Samples kept for uptime and loss rate. Default 100 (so 1% is one sample in a full window). */
  windowSize?: number;
  /** EWMA weight of a new latency. Default 0.125, as TCP's smoothed RTT (RFC 6298). */
  latencySmoothing?: number;
  /** EWMA weight of a new |Δlatency| in the jitter. Default 1/16, as RTP's interarrival jitter (RFC 3550). */
  jitterSmoothing?: number;
  /** Consecutive successes at which stability is full (it grows linearly to there). Default 10. */
  stabilitySamples?: number;
  /** Concurrency recommended on an excellent link; lower levels get a share of it. Default 8. */
  maxConcurrency?: number;
  /** Batch size recommended on an excellent link; lower levels get a share of it. Default 100. */
  maxBatchSize?: number;
  /** Wait recommended when loss is too high (or the link is offline with no probe due). Default 30 s. */
  recheckMs?: number;
  /** A `score` event fires when the score has moved at least this much since the last one. Default 0.05. */
  scoreStep?: number;
}

export interface QualitySnapshot {
  level: QualityLevel;
  /** 0..1: 0.6 × uptime + 0.3 × stability + 0.1 × (currently online). 0 before the first sample. */
  score: number;
  /** Smoothed latency; undefined until a successful sample carries one. */
  latencyMs: number | undefined;
  /** Smoothed |Δlatency| between successive latencies; undefined until two latencies are known. */
  jitterMs: number | undefined;
  /** Failed / all samples in the window, leaving out outages (failures while, or just before, offline). */
  lossRate: number;
  /** Successful / all samples in the window, outages included. */
  uptime: number;
  consecutiveSuccesses: number;
  /** Samples recorded since creation (or `reset()`). */
  sampleCount: number;
  /** Samples in the window behind `uptime`. */
  windowSamples: number;
  linkState: ConnectivityState;
  lastSampleAtMs: number | undefined;
}

export interface LevelChange {
  from: QualityLevel;
  to: QualityLevel;
  atMs: number;
  /** The measurements behind the new level: "latency 42ms, loss 1.0%", "link offline". */
  reason: string;
}

export interface ScoreChange {
  from: number;
  to: number;
  atMs: number;
}

export interface QualityEvents {
  level: LevelChange;
  score: ScoreChange;
}

const UPTIME_WEIGHT = 0.6;
const STABILITY_WEIGHT = 0.3;
const ONLINE_WEIGHT = 0.1;

/**
 * Link quality from samples (probes and real traffic): EWMA latency and jitter, loss rate and uptime over
 * the last `windowSize` samples, a level, a 0..1 score, and recommendations for transfers.
 *
 * Loss is a count window rather than an EWMA so that small rates mean what they say (1% = one sample in a
 * hundred) and a single lost sample is not a spike. Failures while the link is known to be offline, and the
 * run of failures that led into the outage, count against uptime, not loss: after a ten-minute outage the
 * link is judged on how it behaves when up, instead of being held "offline" until a hundred new samples
 * wash the outage out.
 *
 * The link state comes from `setLinkState` (a `ConnectivityMonitor` given this monitor as `quality` calls
 * it); while it is `unknown`, "currently online" in the score means "the last sample succeeded".
 */
export class QualityMonitor extends Emitter<QualityEvents> {
  private readonly clock: Clock;
  private readonly window: SampleWindow;
  private readonly latencySmoothing: number;
  private readonly jitterSmoothing: number;
  private readonly stabilitySamples: number;
  private readonly maxConcurrency: number;
  private readonly maxBatchSize: number;
  private readonly recheckMs: number;
  private readonly scoreStep: number;

  private linkState: ConnectivityState = 'unknown';
  private nextProbeAtMs: number | undefined;
  private latencyMs: number | undefined;
  private jitterMs: number | undefined;
  private lastLatencyMs: number | undefined;
  private consecutiveSuccesses = 0;
  private lastOk = false;
  private sampleCount = 0;
  private lastSampleAtMs: number | undefined;
  private currentLevel: QualityLevel = 'unknown';
  private lastEmittedScore = 0;

  constructor(options: QualityMonitorOptions = {}) {
    super();
    const owner = 'QualityMonitor';
    this.clock = options.clock ?? realClock;
    this.window = new SampleWindow(requireInteger(owner, 'windowSize', options.windowSize ?? 100, 1));
    this.latencySmoothing = requireNumber(owner, 'latencySmoothing', options.latencySmoothing ?? 0.125, 0, {
      max: 1,
    });
    this.jitterSmoothing = requireNumber(owner, 'jitterSmoothing', options.jitterSmoothing ?? 1 / 16, 0, {
      max: 1,
    });
    this.stabilitySamples = requireInteger(owner, 'stabilitySamples', options.stabilitySamples ?? 10, 1);
    this.maxConcurrency = requireInteger(owner, 'maxConcurrency', options.maxConcurrency ?? 8, 1);
    this.maxBatchSize = requireInteger(owner, 'maxBatchSize', options.maxBatchSize ?? 100, 1);
    this.recheckMs = requireNumber(owner, 'recheckMs', options.recheckMs ?? 30_000, 0);
    this.scoreStep = requireNumber(owner, 'scoreStep', options.scoreStep ?? 0.05, 0, { max: 1 });
  }

  /** Records a probe's or a request's outcome. */
  record(sample: QualitySample): void {
    const atMs = sample.atMs ?? this.clock.now();
    if (sample.ok) {
      this.window.record('success');
      this.consecutiveSuccesses++;
      const latencyMs = sample.latencyMs;
      if (latencyMs !== undefined && Number.isFinite(latencyMs) && latencyMs >= 0) this.addLatency(latencyMs);
    } else {
      this.window.record(this.linkState === 'offline' ? 'down' : 'lost');
      this.consecutiveSuccesses = 0;
    }
    this.lastOk = sample.ok;
    this.sampleCount++;
    this.lastSampleAtMs = atMs;
    this.update(atMs);
  }

  /**
   * Tells the monitor where the link stands and how soon the next connectivity verdict is due, so the
   * level can say `offline` and recommendations can say how long to wait. (Relative, so the caller's clock
   * need not be this monitor's.)
   */
  setLinkState(state: ConnectivityState, nextProbeInMs?: number): void {
    if (state === 'offline' && this.linkState !== 'offline') this.window.markTrailingFailuresDown();
    this.linkState = state;
    this.nextProbeAtMs = nextProbeInMs === undefined ? undefined : this.clock.now() + nextProbeInMs;
    this.update(this.clock.now());
  }

  get level(): QualityLevel {
    return this.currentLevel;
  }

  get score(): number {
    if (this.sampleCount === 0) return 0;
    const stability = Math.min(1, this.consecutiveSuccesses / this.stabilitySamples);
    const online = this.linkState === 'unknown' ? this.lastOk : this.linkState === 'online';
    return UPTIME_WEIGHT * this.window.uptime + STABILITY_WEIGHT * stability + (online ? ONLINE_WEIGHT : 0);
  }

  snapshot(): QualitySnapshot {
    return {
      level: this.currentLevel,
      score: this.score,
      latencyMs: this.latencyMs,
      jitterMs: this.jitterMs,
      lossRate: this.window.lossRate,
      uptime: this.window.uptime,
      consecutiveSuccesses: this.consecutiveSuccesses,
      sampleCount: this.sampleCount,
      windowSamples: this.window.count,
      linkState: this.linkState,
      lastSampleAtMs: this.lastSampleAtMs,
    };
  }

  /**
   * Whether to start a large transfer now, and the batch size and concurrency for the current level
   * (see `SHARE_OF_MAX`). A transfer waits while the link is offline (until the next probe is due) or
   * while loss is 5% or more; high latency alone does not make it wait.
   */
  recommendations(): Recommendations {
    const nextProbeInMs =
      this.nextProbeAtMs === undefined ? undefined : Math.max(0, this.nextProbeAtMs - this.clock.now());
    return recommend({
      level: this.currentLevel,
      measurements: this.measurements(),
      lossSamples: this.window.lossSamples,
      nextProbeInMs,
      recheckMs: this.recheckMs,
      maxConcurrency: this.maxConcurrency,
      maxBatchSize: this.maxBatchSize,
    });
  }

  /** The concurrency of `recommendations()`, without building the rest (the queue's worker reads it each turn). */
  concurrency(): number {
    return concurrencyFor(this.currentLevel, this.maxConcurrency);
  }

  /** Forgets every sample (after switching networks, say); the link state is kept. */
  reset(): void {
    this.window.reset();
    this.latencyMs = undefined;
    this.jitterMs = undefined;
    this.lastLatencyMs = undefined;
    this.consecutiveSuccesses = 0;
    this.lastOk = false;
    this.sampleCount = 0;
    this.lastSampleAtMs = undefined;
    this.update(this.clock.now());
  }

  private addLatency(latencyMs: number): void {
    if (this.lastLatencyMs !== undefined) {
      const delta = Math.abs(latencyMs - this.lastLatencyMs);
      // Seeded with the first delta rather than 0, so jitter is not underestimated for its first samples.
      this.jitterMs =
        this.jitterMs === undefined ? delta : this.jitterMs + this.jitterSmoothing * (delta - this.jitterMs);
    }
    this.latencyMs =
      this.latencyMs === undefined
        ? latencyMs
        : this.latencyMs + this.latencySmoothing * (latencyMs - this.latencyMs);
    this.lastLatencyMs = latencyMs;
  }

  private measurements(): LevelInput {
    return {
      linkState: this.linkState,
      sampleCount: this.sampleCount,
      latencyMs: this.latencyMs,
      lossRate: this.window.lossRate,
    };
  }

  private update(atMs: number): void {
    const measurements = this.measurements();
    const level = levelOf(measurements);
    if (level !== this.currentLevel) {
      const from = this.currentLevel;
      this.currentLevel = level;
      this.emit('level', { from, to: level, atMs, reason: describeMeasurements(measurements) });
    }
    const score = this.score;
    if (Math.abs(score - this.lastEmittedScore) >= this.scoreStep && score !== this.lastEmittedScore) {
      const from = this.lastEmittedScore;
      this.lastEmittedScore = score;
      this.emit('score', { from, to: score, atMs });
    }
  }
}
