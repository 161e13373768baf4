/**
 * How the tus client speaks HTTP. The default uses `fetch` (anywhere); lifeline/node has one on undici's
 * `request` with a keep-alive pool, which sends large bodies with less overhead.
 */
export interface TusRequest {
  method: 'OPTIONS' | 'HEAD' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  /** PATCH bodies are streamed, so a stall and a bandwidth limit can act between slices. */
  body?: AsyncIterable<Uint8Array>;
  bodyLength?: number;
  signal: AbortSignal;
}

export interface TusResponse {
  status: number;
  header(name: string): string | null;
  /** The body as text (read once; an empty string when there is none). */
  text(): Promise<string>;
}

export type TusTransport = (request: TusRequest) => Promise<TusResponse>;

/** The transport on the global `fetch`. */
export function fetchTransport(
  fetchImpl: typeof globalThis.fetch = (input, init) => globalThis.fetch(input, init),
): TusTransport {
  return async ({ method, url, headers, body, bodyLength, signal }) => {
    const init: RequestInit & { duplex?: 'half' } = { method, headers: { ...headers }, signal };
    if (body) {
      const iterator = body[Symbol.asyncIterator]();
      init.body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { value, done } = await iterator.next();
          if (done) controller.close();
          else controller.enqueue(value);
        },
        async cancel() {
          await iterator.return?.();
        },
      });
      init.duplex = 'half';
      if (bodyLength !== undefined)
        (init.headers as Record<string, string>)['content-length'] = String(bodyLength);
    }
    const response = await fetchImpl(url, init);
    return {
      status: response.status,
      header: (name) => response.headers.get(name),
      text: () => response.text(),
    };
  };
}
