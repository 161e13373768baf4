import { exponentialBackoff, FakeClock } from '../../../src/index.js';
import {
  type ConnectivityChange,
  ConnectivityMonitor,
  type ConnectivityMonitorOptions,
  type Probe,
  type ProbeEvent,
} from '../../../src/network/index.js';
import { transientError } from '../../helpers.js';

/** Shared by the ConnectivityMonitor tests: a scripted probe on a fake clock, and a monitor around it. */

export const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), {
    code: 'ECONNREFUSED',
    address: '10.0.0.1',
    port: 443,
  });

export type Step = { ok: true; latencyMs?: number } | { ok: false } | 'throw' | 'hang';

/** A probe whose next answer the test sets, recording when it was called and the signal it got. */
export function scriptedProbe(clock: FakeClock, first: Step = { ok: true }) {
  const times: number[] = [];
  const signals: AbortSignal[] = [];
  let next: Step = first;
  const probe: Probe = async ({ signal }) => {
    times.push(clock.now());
    signals.push(signal);
    const step = next;
    if (step === 'hang') return new Promise<never>(() => {});
    if (step === 'throw') throw transientError();
    if (!step.ok) return { ok: false, error: refused() };
    if (step.latencyMs !== undefined) await clock.sleep(step.latencyMs, signal);
    return { ok: true };
  };
  return {
    probe,
    times,
    signals,
    set(step: Step) {
      next = step;
    },
  };
}

/** Deterministic offline waits: 1 s, 2 s, 4 s, 8 s, 8 s… */
export const backoff = exponentialBackoff({ initialDelayMs: 1000, maxDelayMs: 8000, jitter: 'none' });

export function setup(
  first: Step = { ok: true },
  options: Partial<ConnectivityMonitorOptions> & { clock?: FakeClock } = {},
) {
  const clock = options.clock ?? new FakeClock();
  const script = scriptedProbe(clock, first);
  const monitor = new ConnectivityMonitor({
    probe: script.probe,
    intervalMs: 30_000,
    offlineBackoff: backoff,
    clock,
    ...options,
  });
  const changes: ConnectivityChange[] = [];
  monitor.on('change', (change) => changes.push(change));
  const probes: ProbeEvent[] = [];
  monitor.on('probe', (event) => probes.push(event));
  return { clock, script, monitor, changes, probes };
}

export const transitions = (changes: ConnectivityChange[]) => changes.map(({ from, to }) => `${from}→${to}`);
