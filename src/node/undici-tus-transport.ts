import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import type { TusTransport } from '../transfer/tus-transport.js';

/**
 * The tus client's transport on undici's `request` with a keep-alive pool: a PATCH streams its chunk
 * straight to the socket with a Content-Length, without fetch's WHATWG stream layers.
 */
export function undiciTusTransport(options: { connectionsPerOrigin?: number } = {}): {
  transport: TusTransport;
  close(): Promise<void>;
} {
  const dispatcher = new Agent({
    connections: options.connectionsPerOrigin ?? 8,
    keepAliveTimeout: 30_000,
    headersTimeout: 0, // the upload's own stall and request timeouts decide
    bodyTimeout: 0,
  });
  const transport: TusTransport = async ({ method, url, headers, body, bodyLength, signal }) => {
    const response = await request(url, {
      method,
      headers: bodyLength === undefined ? headers : { ...headers, 'content-length': String(bodyLength) },
      ...(body ? { body: Readable.from(body, { objectMode: false, highWaterMark: 64 * 1024 }) } : {}),
      signal,
      dispatcher,
    });
    // HEAD answers have no body; others are small: read now so the connection returns to the pool.
    const text = method === 'HEAD' ? '' : await response.body.text();
    // undici frees the connection a turn later; a request sent before that (the next PATCH, its chunk
    // already read ahead) would open a second one and alternate between them, each with a congestion
    // window gone cold between uses — on a long link that costs more than this turn.
    await new Promise<void>((resolve) => setImmediate(resolve));
    return {
      status: response.statusCode,
      header: (name) => {
        const value = response.headers[name.toLowerCase()];
        return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
      },
      text: async () => text,
    };
  };
  return { transport, close: () => dispatcher.close() };
}
