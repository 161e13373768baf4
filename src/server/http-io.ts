import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { formatBytes } from '../core/units.js';

/**
 * A refusal a handler throws: the dispatcher answers `status` with JSON `{ error: code, message }`.
 * `code` is stable (match on it); `message` says what was wrong and what to do.
 */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: OutgoingHttpHeaders;

  constructor(status: number, code: string, message: string, headers: OutgoingHttpHeaders = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }

  /** 503 with Retry-After: a request that reached a server stopping or not yet started. */
  static notRunning(): HttpError {
    return new HttpError(
      503,
      'stopping',
      'the server is not running (stopped or not started); retry shortly',
      { 'retry-after': '1' },
    );
  }
}

/** Sends `body` (a value, or JSON text already serialised) as `application/json`. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, { error: error.code, message: error.message }, error.headers);
}

function tooLarge(maxBytes: number): HttpError {
  // Closing the connection keeps Node from reading (and discarding) the rest of a huge body to reuse it.
  return new HttpError(
    413,
    'body_too_large',
    `the request body is larger than this server accepts (${formatBytes(maxBytes)}); send less, or start the ` +
      'server with a larger maxBodyBytes',
    { connection: 'close' },
  );
}

/**
 * Reads the whole request body, refusing more than `maxBytes` with a 413 HttpError — at once when
 * Content-Length says so, else as soon as the count passes the limit (the rest is discarded unread).
 * Rejects if the client goes away before the body ends.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) return Promise.reject(tooLarge(maxBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      received += chunk.length;
      if (received > maxBytes) {
        refused = true;
        chunks.length = 0;
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!refused) resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received));
    });
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('the client closed the connection before the request body ended'));
    });
  });
}
