import { onAbort } from '../core/abort.js';
import type { Clock, Timer } from '../core/clock.js';
import { TimeoutError } from '../core/errors.js';
import { formatDuration } from '../core/format.js';

/**
 * Marks a Response whose body a transport has already read into memory (lifeline/node's undici fetch):
 * nothing can stall while reading it, so it is handed over as it is.
 */
export const BUFFERED_BODY: unique symbol = Symbol.for('lifeline.bufferedBody');

/** Checked before `response.body`: reading that getter may build a stream the caller never needed. */
const isBuffered = (response: Response) =>
  (response as Response & { [BUFFERED_BODY]?: true })[BUFFERED_BODY] === true;

/** Lets go of a body nobody will read, releasing its connection (a buffered body holds none). */
export function discardBody(response: Response | undefined): void {
  if (!response || isBuffered(response)) return;
  response.body?.cancel().catch(() => {});
}

/**
 * Wraps a response body so that a stall — no bytes for `stallTimeoutMs` while the reader is waiting —
 * errors the body with a TimeoutError instead of hanging forever, and so that the caller's signal
 * cancels the body too. Time the reader spends not reading does not count as a stall.
 */
export function guardBody(
  response: Response,
  options: {
    stallTimeoutMs: number;
    clock: Clock;
    signal: AbortSignal;
    onStall: (error: TimeoutError) => void;
  },
): Response {
  if (isBuffered(response) || !response.body) return response;
  const reader = response.body.getReader();
  let timer: Timer | undefined;
  let detach = () => {};
  const disarm = () => {
    timer?.cancel();
    timer = undefined;
  };
  const guarded = new ReadableStream<Uint8Array>({
    start(controller) {
      detach = onAbort(options.signal, (reason) => {
        disarm();
        controller.error(reason);
        reader.cancel(reason).catch(() => {});
      });
    },
    async pull(controller) {
      timer = options.clock.setTimer(() => {
        const error = new TimeoutError(
          options.stallTimeoutMs,
          'response body',
          `response body stalled: no bytes received for ${formatDuration(options.stallTimeoutMs)}`,
        );
        options.onStall(error);
        detach();
        controller.error(error);
        reader.cancel(error).catch(() => {});
      }, options.stallTimeoutMs);
      try {
        const { value, done } = await reader.read();
        disarm();
        if (done) {
          detach();
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        disarm();
        detach();
        controller.error(error);
      }
    },
    cancel(reason) {
      disarm();
      detach();
      return reader.cancel(reason);
    },
  });
  const wrapped = new Response(guarded, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  // A constructed Response has no url; keep the one the caller asked for (after redirects).
  Object.defineProperty(wrapped, 'url', { value: response.url });
  Object.defineProperty(wrapped, 'redirected', { value: response.redirected });
  return wrapped;
}
