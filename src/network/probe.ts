/** What a connectivity probe is: one question to the network, answered with a verdict and a latency. */

/** Where the link stands. `unknown` until the first verdict (probe or traffic). */
export type ConnectivityState = 'online' | 'offline' | 'unknown';

/** What a probe receives. */
export interface ProbeContext {
  /** Aborts when the probe times out (`probeTimeoutMs`) or the monitor stops. Pass it to fetch or sockets. */
  readonly signal: AbortSignal;
}

/** What a probe answers. */
export interface ProbeResult {
  /** Whether the link (or the health endpoint behind it) answered as expected. */
  ok: boolean;
  /**
   * Round-trip time of the probe. When a successful probe leaves it out, the monitor measures the probe's
   * duration on its own clock.
   */
  latencyMs?: number;
  /** Why the probe failed; `classify()` turns it into the reason shown in events. */
  error?: unknown;
  /** A word on who answered (or did not), added to the reason shown: "api.example.com answered". */
  detail?: string;
}

/**
 * A connectivity probe. It should resolve with `{ ok: false, error }` rather than throw; a throw, or no
 * answer before its signal aborts, also counts as a failed probe.
 */
export type Probe = (context: ProbeContext) => Promise<ProbeResult>;
