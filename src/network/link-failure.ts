import { CODE_TABLE } from '../core/classify-table.js';
import type { Failure } from '../core/failure.js';

/** Codes the classify table knows as transient or timeout connection errors (ECONNRESET, UND_ERR_SOCKET…). */
const CONNECTION_CODES: ReadonlySet<string> = new Set(
  Object.entries(CODE_TABLE)
    .filter(([, entry]) => entry.kind === 'transient' || entry.kind === 'timeout')
    .map(([code]) => code),
);

/**
 * Whether a failed request says something about the link itself, rather than about the service or the
 * request: `offline` failures (DNS, unreachable network), and transient or timeout failures with a
 * connection error code. An HTTP status never is — the link carried the answer. Timeouts from lifeline's
 * own policies (code TIMEOUT) are not either: a slow service is not a broken link.
 */
export function isLinkFailure(failure: Failure): boolean {
  if (failure.kind === 'offline') return true;
  if (failure.status !== undefined) return false;
  if (failure.kind !== 'transient' && failure.kind !== 'timeout') return false;
  // A browser's "Failed to fetch" carries no code at all: it is the only sign of a dead link it gives.
  if (failure.code === undefined) return failure.kind === 'transient';
  return CONNECTION_CODES.has(failure.code);
}

/** A connection refused (ECONNREFUSED): the far host answered that nothing listens there. */
export function isRefusal(failure: Failure): boolean {
  return failure.code === 'ECONNREFUSED';
}
