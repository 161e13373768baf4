/**
 * bench/upload helper: a chaos proxy that resets connections after a random number of client→server bytes,
 * drawn from a seeded exponential distribution.
 *
 * The proxy has no per-connection random thresholds: a `reset` toxic has one `afterBytes` for every
 * connection (each connection counts its own bytes against it), and `updateToxic` gives the toxic a new
 * identity, so every open connection starts counting afresh under the new value. So the threshold is
 * re-drawn each time the toxic fires (in the proxy's `fault` event): the connections a client opens to
 * resume each count their own bytes against a fresh draw, and each reset consumes exactly one draw. With
 * the same seed, both clients therefore meet the same sequence of distances between resets, however many
 * connections they open (tus-js-client opens one for HEAD and another for the PATCH after a reset; undici
 * keeps two in its pool). A connection that was already open when the toxic fired (an idle keep-alive
 * one) restarts its count under the new draw; the exponential distribution being memoryless, that leaves
 * its remaining distance to a reset distributed exactly as before, Exp(mean).
 *
 * (Re-drawing on every new connection instead, in the `connection` event, was tried: clients open their
 * HEAD and PATCH connections in different patterns, so the same seed handed the PATCH connection of one
 * client the odd draws and of the other the even ones — the runs were not comparable.)
 */
import { seededRandom } from '../src/core/random.js';
import { ChaosProxy } from '../src/testing/index.js';

export interface ResetProxy {
  proxy: ChaosProxy;
  /** The thresholds drawn, in order: the current one is last. */
  draws: number[];
  stop(): Promise<void>;
}

/** Exponential with the given mean, from a uniform in [0, 1): −mean·ln(1 − u), at least one byte. */
export function exponential(random: () => number, mean: number): () => number {
  return () => Math.max(1, Math.round(-mean * Math.log(1 - random())));
}

/** `listenPort`: 0 for any; a series reuses one, so its uploads all go to one server (origin), as in use. */
export async function resetProxy(
  upstreamPort: number,
  seed: number,
  meanBytes: number,
  listenPort = 0,
): Promise<ResetProxy> {
  const next = exponential(seededRandom(seed), meanBytes);
  const draws: number[] = [next()];
  const proxy = new ChaosProxy({
    upstream: { port: upstreamPort },
    listen: { host: '127.0.0.1', port: listenPort },
    seed,
    toxics: [{ name: 'cut', type: 'reset', afterBytes: draws[0] as number, direction: 'upstream' }],
  });
  proxy.on('fault', ({ toxic }) => {
    if (toxic !== 'cut' || !proxy.isListening) return;
    const afterBytes = next();
    draws.push(afterBytes);
    proxy.updateToxic('cut', { afterBytes });
  });
  await proxy.start();
  return { proxy, draws, stop: () => proxy.stop() };
}
