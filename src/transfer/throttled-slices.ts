import type { ByteThrottle } from './byte-throttle.js';
import type { Watchdog } from './watchdog.js';

/** The most a PATCH body hands over at once (unless a bandwidth limit makes slices smaller). */
export const SLICE_BYTES = 64 * 1024;

/**
 * A chunk as the request body: slices, each taken from every bandwidth limit before it goes out; each
 * slice that moves feeds the stall watchdog and reports how many bytes went out. Once the signal aborts
 * (the request failed, or was answered early) it yields nothing more.
 */
export async function* throttledSlices(
  chunk: Uint8Array,
  throttles: readonly ByteThrottle[],
  signal: AbortSignal,
  watchdog: Watchdog,
  onSent: (bytes: number) => void,
): AsyncGenerator<Uint8Array> {
  const sliceBytes = sliceBytesFor(throttles);
  for (let at = 0; at < chunk.length && !signal.aborted; at += sliceBytes) {
    const piece = chunk.subarray(at, at + sliceBytes);
    for (const throttle of throttles) {
      const wait = throttle.take(piece.length, signal);
      if (wait) await wait;
    }
    watchdog.touch();
    yield piece;
    if (signal.aborted) return; // answered or cut while the piece was handed over: it may not have gone out
    watchdog.touch();
    onSent(piece.length);
  }
}

/** Under a limit, a slice is at most 100 ms of it: waits stay short and the rate smooth. */
function sliceBytesFor(throttles: readonly ByteThrottle[]): number {
  const limit = Math.min(...throttles.map((throttle) => throttle.bytesPerSecond ?? Infinity));
  return Math.max(1024, Math.min(SLICE_BYTES, Number.isFinite(limit) ? Math.floor(limit / 10) : SLICE_BYTES));
}
