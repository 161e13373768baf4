/**
 * The one vocabulary of failure. Every part of lifeline decides what to do with an error by asking
 * `classify()` for a `Failure`, never by inspecting the raw error.
 */

/** What kind of failure happened, from the caller's point of view. */
export type FailureKind =
  /** Worth retrying: the link or the service hiccupped (connection reset, 5xx). */
  | 'transient'
  /** Retrying will not help: the request itself is wrong (4xx), or the error is not recognised. */
  | 'permanent'
  /** The service asked us to slow down (429); `retryAfterMs` says for how long when it said. */
  | 'rate-limited'
  /** Our own link is down (DNS fails, network unreachable): wait for connectivity, do not blame the service. */
  | 'offline'
  /** No answer in time. */
  | 'timeout'
  /** A circuit breaker refused the call without trying; `retryAfterMs` is the time until it tries again. */
  | 'circuit-open'
  /** The caller cancelled. Never retried. */
  | 'cancelled';

export const FAILURE_KINDS: readonly FailureKind[] = [
  'transient',
  'permanent',
  'rate-limited',
  'offline',
  'timeout',
  'circuit-open',
  'cancelled',
];

export interface Failure {
  kind: FailureKind;
  /** Whether the same call may succeed later. Policies retry only retryable failures. */
  retryable: boolean;
  /**
   * Whether this failure is evidence that the service is unhealthy. Circuit breakers count only these:
   * a 404 or a cancelled call says nothing about the service's health.
   */
  serviceFault: boolean;
  /** How long the service (or a local policy) asked us to wait before trying again. */
  retryAfterMs?: number;
  /** HTTP status, when the failure came from a response. */
  status?: number;
  /** Error code (`ECONNRESET`, `UND_ERR_SOCKET`, `CIRCUIT_OPEN`…), when there was one. */
  code?: string;
  /** A 401: the credentials should be refreshed before the call is tried again. */
  needsAuth?: boolean;
  /** Short, human-readable: "connection reset", "HTTP 503 Service Unavailable". */
  message: string;
  /** The original error or response. */
  cause: unknown;
}

/** Defaults per kind, used by the built-in table and by user rules that leave them out. */
export const KIND_DEFAULTS: Readonly<Record<FailureKind, { retryable: boolean; serviceFault: boolean }>> = {
  transient: { retryable: true, serviceFault: true },
  timeout: { retryable: true, serviceFault: true },
  // The service answered, asking for patience: it is alive, so a breaker should not open on it.
  'rate-limited': { retryable: true, serviceFault: false },
  // Our side of the link is down; the service may be fine.
  offline: { retryable: true, serviceFault: false },
  // A local breaker refused: retry later (after retryAfterMs); says nothing new about the service.
  'circuit-open': { retryable: true, serviceFault: false },
  permanent: { retryable: false, serviceFault: false },
  cancelled: { retryable: false, serviceFault: false },
};
