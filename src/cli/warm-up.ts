import type { Probe } from '../network/probe.js';

/** The longest a warm-up may take: on a dead link it only delays the probe that will say so. */
const WARM_UP_LIMIT_MS = 1000;

/**
 * Sends one probe whose result is thrown away. The first request of a process pays for loading fetch,
 * compiling its code and opening the connection — 50 to 100 ms on a small machine, more than a whole
 * round trip on a LAN — so a command that measures a link from a cold start warms up first, and the
 * probes it counts measure the link, not the process. HTTP probes then reuse the open connection.
 */
export async function warmUp(probe: Probe, timeoutMs: number): Promise<void> {
  try {
    await probe({ signal: AbortSignal.timeout(Math.min(timeoutMs, WARM_UP_LIMIT_MS)) });
  } catch {
    // A failed warm-up says nothing the measured probes will not say.
  }
}
