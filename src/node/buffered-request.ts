import type { Dispatcher } from 'undici';
import { onAbort } from '../core/abort.js';

/** A response read whole: the status, the raw header list (name, value, name, value …), the body bytes. */
export interface BufferedReply {
  status: number;
  rawHeaders: Buffer[];
  body: Buffer;
}

export interface BufferedRequestOptions {
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * One request through an undici dispatcher, its response body collected into one buffer. undici's own
 * `request()` builds, for every response, an AsyncResource, a Readable stream for the body (which a
 * caller that wants the bytes then drains) and a parsed header object; this is the handler underneath
 * it, on the dispatcher's callback interface, keeping chunks in an array instead. On this machine that
 * halved the client's cost of a small POST beyond the socket itself. For small responses (API calls); a
 * download should stream.
 *
 * Failures reject with undici's errors as they are (codes such as UND_ERR_SOCKET, ECONNREFUSED), and an
 * aborted signal with its reason, as `request()` does.
 */
export function bufferedRequest(
  dispatcher: Dispatcher,
  url: URL,
  options: BufferedRequestOptions,
): Promise<BufferedReply> {
  return new Promise((resolve, reject) => {
    const handler = new BufferingHandler(resolve, reject, options.signal);
    if (handler.settled) return;
    try {
      dispatcher.dispatch(
        {
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: options.method as Dispatcher.HttpMethod,
          headers: options.headers,
          body: options.body ?? null,
        },
        handler,
      );
    } catch (error) {
      handler.onError(error as Error);
    }
  });
}

/** undici passes what abort() gets to onError: any abort reason goes through as it is. */
type Abort = (reason?: Error) => void;

/** undici's dispatch handler interface (onConnect, onHeaders, onData, onComplete, onError). */
class BufferingHandler {
  settled = false;
  private status = 0;
  private rawHeaders: Buffer[] = [];
  private readonly chunks: Buffer[] = [];
  private abort: Abort | undefined = undefined;
  private abortReason: unknown = undefined;
  private detach: () => void = () => {};

  constructor(
    private readonly resolve: (reply: BufferedReply) => void,
    private readonly reject: (error: unknown) => void,
    signal: AbortSignal | undefined,
  ) {
    if (signal?.aborted) {
      this.abortReason = signal.reason;
      this.fail(signal.reason);
      return;
    }
    this.detach = onAbort(signal, (reason) => {
      this.abortReason = reason;
      if (this.abort) this.abort(reason as Error);
      else this.fail(reason); // not connected yet: onConnect aborts it when it comes
    });
  }

  onConnect(abort: Abort): void {
    if (this.settled) abort(this.abortReason as Error);
    else this.abort = abort;
  }

  /** Informational (1xx) heads, if undici reports them, are replaced by the final one. */
  onHeaders(status: number, rawHeaders: Buffer[]): boolean {
    this.status = status;
    this.rawHeaders = rawHeaders;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    if (this.settled) return;
    this.settled = true;
    this.detach();
    const { chunks } = this;
    const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    this.resolve({ status: this.status, rawHeaders: this.rawHeaders, body });
  }

  onError(error: Error): void {
    this.fail(this.abortReason ?? error);
  }

  private fail(reason: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.detach();
    this.reject(reason);
  }
}
