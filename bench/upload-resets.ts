/**
 * bench/upload helper: a chaos proxy that resets every connection after a random number of client→server
 * bytes, drawn per connection from a seeded exponential distribution.
 *
 * The proxy has no per-connection thresholds of its own: a toxic applies to every connection, and
 * `updateToxic` gives it a new identity, so every live connection starts counting afresh under the new
 * threshold. So the `reset` toxic is updated in the `connection` event, which the proxy emits before the
 * new connection forwards anything: the new connection gets the next draw. This is exact while one
 * connection carries the upload at a time (both clients send their requests one after another); a
 * connection that was already open when another arrived would have its count restarted. `overlaps` counts
 * how often another connection was open at that moment, so the report can say whether that happened.
 */
import { seededRandom } from '../src/core/random.js';
import { ChaosProxy } from '../src/testing/index.js';

export interface ResetProxy {
  proxy: ChaosProxy;
  /** The thresholds drawn, one per connection, in order. */
  draws: number[];
  /** New connections that arrived while another was still open. */
  overlaps: number;
  stop(): Promise<void>;
}

/** Exponential with the given mean, from a uniform in [0, 1): −mean·ln(1 − u); at least one byte. */
export function exponential(random: () => number, mean: number): () => number {
  return () => Math.max(1, Math.round(-mean * Math.log(1 - random())));
}

export async function resetProxy(upstreamPort: number, seed: number, meanBytes: number): Promise<ResetProxy> {
  const next = exponential(seededRandom(seed), meanBytes);
  const draws: number[] = [next()];
  const proxy = new ChaosProxy({
    upstream: { port: upstreamPort },
    seed,
    toxics: [{ name: 'cut', type: 'reset', afterBytes: draws[0] as number, direction: 'upstream' }],
  });
  const state = { proxy, draws, overlaps: 0, stop: () => proxy.stop() };
  let first = true;
  proxy.on('connection', () => {
    // `connectionsActive` includes the connection being announced.
    if (proxy.counters.connectionsActive > 1) state.overlaps++;
    if (first) {
      first = false; // the toxic was created with the first draw
      return;
    }
    const afterBytes = next();
    draws.push(afterBytes);
    proxy.updateToxic('cut', { afterBytes });
  });
  await proxy.start();
  return state;
}
