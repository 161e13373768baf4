/** Helpers for AbortSignal: every async API in lifeline takes one, and timeouts are signals. */

/** A signal that never aborts: the default when a caller passes none, so code need not check. */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;

/** Whether an error is a cancellation (DOM AbortError or Node's ABORT_ERR). */
export function isAbortError(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return name === 'AbortError' || code === 'ABORT_ERR';
}

const NOTHING_TO_DETACH = () => {};

/** Whether a signal can ever abort (false for a missing one and for NEVER_ABORTED). */
export function canAbort(signal: AbortSignal | undefined): signal is AbortSignal {
  return signal !== undefined && signal !== NEVER_ABORTED;
}

/** Calls `listener` once when `signal` aborts (at once if it already has); returns the function that detaches. */
export function onAbort(signal: AbortSignal | undefined, listener: (reason: unknown) => void): () => void {
  if (!canAbort(signal)) return NOTHING_TO_DETACH;
  if (signal.aborted) {
    listener(signal.reason);
    return NOTHING_TO_DETACH;
  }
  const handler = () => listener(signal.reason);
  signal.addEventListener('abort', handler, { once: true });
  return () => signal.removeEventListener('abort', handler);
}

/**
 * A controller that also aborts when `parent` does. Call `dispose()` when done so the parent does not keep
 * a listener (and this controller) alive — the leak `AbortSignal.any` had in several Node releases.
 */
export function linkedController(parent: AbortSignal | undefined): {
  controller: AbortController;
  dispose(): void;
} {
  const controller = new AbortController();
  const dispose = onAbort(parent, (reason) => controller.abort(reason));
  return { controller, dispose };
}

/** Rejects with the signal's reason when it aborts; the returned `dispose` detaches the listener. */
export function abortPromise(signal: AbortSignal): { promise: Promise<never>; dispose(): void } {
  let dispose = () => {};
  const promise = new Promise<never>((_, reject) => {
    dispose = onAbort(signal, reject);
  });
  return { promise, dispose };
}
