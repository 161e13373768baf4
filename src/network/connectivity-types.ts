import type { Classifier } from '../core/classify.js';
import type { Clock } from '../core/clock.js';
import type { Backoff } from '../policy/backoff.js';
import type { ConnectivityState, Probe } from './probe.js';
import type { QualityMonitor } from './quality-monitor.js';

/** The ConnectivityMonitor's options, events and snapshot. */

export interface ConnectivityMonitorOptions {
  /** Asks the network: `httpProbe({ url })`, `tcpProbe({ host, port })` (lifeline/node), or your own. */
  probe: Probe;
  /** Time between probes while online. Successful traffic (`reportSuccess`) pushes the next probe back. Default 30 s. */
  intervalMs?: number;
  /**
   * Wait after the n-th consecutive failed probe: between probes while offline, and before the probe that
   * confirms a first failure while online. Default `exponentialBackoff` 1 s → 30 s with equal jitter
   * (each wait in [d/2, d], so a fleet that lost the same link does not probe in lockstep).
   */
  offlineBackoff?: Backoff;
  /** A probe that has not answered by then fails; its signal aborts with a TimeoutError. Default 5 s. */
  probeTimeoutMs?: number;
  /**
   * Consecutive failed probes that turn `online` into `offline`. Default 2: one lost probe on a flaky link
   * is not an outage, and the confirming probe runs about a second later. From `unknown`, the first failed
   * probe decides.
   */
  failuresToOffline?: number;
  /** Least time between the end of a probe and a probe triggered by `reportFailure`. Default 1 s. */
  minProbeGapMs?: number;
  /** Default the real clock; tests pass a FakeClock. */
  clock?: Clock;
  /** Receives every probe and traffic sample, and the link state. */
  quality?: QualityMonitor;
  /** Decides whether a reported failure is a link failure. Default `classify`. */
  classify?: Classifier;
}

export interface ConnectivityChange {
  from: ConnectivityState;
  to: ConnectivityState;
  atMs: number;
  /** "probe failed: connection refused (10.0.0.1:443)", "a request succeeded"… */
  reason: string;
}

/** What started a probe. */
export type ProbeTrigger = 'start' | 'interval' | 'check' | 'traffic';

export interface ProbeEvent {
  ok: boolean;
  latencyMs: number | undefined;
  trigger: ProbeTrigger;
  atMs: number;
  /** Why it failed, from `classify()`. */
  reason?: string;
  error?: unknown;
}

export interface ConnectivityEvents {
  change: ConnectivityChange;
  probe: ProbeEvent;
}

export interface WaitForOnlineOptions {
  /** Reject with a TimeoutError (code TIMEOUT) after this long. Default: wait as long as it takes. */
  maxWaitMs?: number;
  /** Reject with the signal's reason when it aborts. */
  signal?: AbortSignal;
}

export interface ConnectivitySnapshot {
  state: ConnectivityState;
  /** Why the link is in its state. */
  reason: string;
  /** When it entered its state (creation time while `unknown`). */
  sinceMs: number;
  consecutiveFailures: number;
  /** When the last probe ended. */
  lastProbeAtMs: number | undefined;
  /** When the next probe is due; undefined while one runs or the monitor is stopped. */
  nextProbeAtMs: number | undefined;
  probing: boolean;
  started: boolean;
}
