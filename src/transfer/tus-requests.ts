import { linkedController } from '../core/abort.js';
import type { Clock } from '../core/clock.js';
import { TimeoutError } from '../core/errors.js';
import { formatDuration } from '../core/format.js';
import { formatBytes } from '../core/units.js';
import {
  encodeMetadata,
  parseCapabilities,
  parseExpires,
  parseOffset,
  TUS_VERSION,
  type TusCapabilities,
} from './tus-protocol.js';
import type { TusRequest, TusResponse, TusTransport } from './tus-transport.js';
import { ChecksumMismatchError, TusProtocolError } from './upload-errors.js';

/** A tus answer that is not a success; classify() reads its status and Retry-After like a Response's. */
export class TusStatusError extends Error {
  readonly status: number;
  readonly headers: { get(name: string): string | null };

  constructor(
    response: TusResponse,
    readonly body: string,
    what: string,
  ) {
    super(`${what}: HTTP ${response.status}${body ? ` (${body.slice(0, 200)})` : ''}`);
    this.name = 'TusStatusError';
    this.status = response.status;
    this.headers = { get: (name) => response.header(name) };
  }
}

/** A server that announced Tus-Max-Size refuses a larger upload: fail before sending a byte, as a 413. */
export function checkSize(capabilities: TusCapabilities | undefined, sizeBytes: number): void {
  const max = capabilities?.maxSizeBytes;
  if (max === undefined || sizeBytes <= max) return;
  throw new TusStatusError(
    { status: 413, header: () => null, text: async () => '' },
    `the server accepts uploads up to ${formatBytes(max)}; this one is ${formatBytes(sizeBytes)}`,
    'checking the size',
  );
}

/** The upload is gone from the server (expired, or deleted): start again from zero. */
export const GONE = Symbol('gone');

/** The tus requests other than PATCH, each with a time limit, sharing headers and transport. */
export class TusRequests {
  constructor(
    private readonly transport: TusTransport,
    private readonly clock: Clock,
    private readonly requestTimeoutMs: number,
    private readonly extraHeaders: Record<string, string>,
  ) {}

  headers(more: Record<string, string> = {}): Record<string, string> {
    return { ...this.extraHeaders, 'tus-resumable': TUS_VERSION, ...more };
  }

  /** What the server supports; a server that does not answer OPTIONS is taken to speak the core only. */
  async capabilities(endpoint: string, signal: AbortSignal): Promise<TusCapabilities> {
    const response = await this.send({ method: 'OPTIONS', url: endpoint, headers: this.headers() }, signal);
    if (response.status >= 500 || response.status === 429) throw await statusError(response, 'OPTIONS');
    return parseCapabilities({ get: (name) => response.header(name) });
  }

  /** Creates an upload; returns its absolute URL and when it expires. */
  async create(
    endpoint: string,
    size: number,
    metadata: Record<string, string>,
    signal: AbortSignal,
  ): Promise<{ url: string; expiresAtMs: number | undefined }> {
    const headers = this.headers({
      'upload-length': String(size),
      'upload-metadata': encodeMetadata(metadata),
    });
    const response = await this.send({ method: 'POST', url: endpoint, headers }, signal);
    if (response.status !== 201) throw await statusError(response, creating(response.status, endpoint, size));
    const location = response.header('location');
    if (!location)
      throw new TusProtocolError(`the tus server at ${endpoint} created an upload without a Location header`);
    return {
      url: new URL(location, endpoint).href,
      expiresAtMs: parseExpires(response.header('upload-expires')),
    };
  }

  /** The server's offset for an upload: the only truth about what it has. */
  async offset(url: string, signal: AbortSignal): Promise<number | typeof GONE> {
    const response = await this.send({ method: 'HEAD', url, headers: this.headers() }, signal);
    if (response.status === 404 || response.status === 410) return GONE;
    if (response.status !== 200 && response.status !== 204)
      throw await statusError(response, 'asking for the offset');
    const offset = parseOffset(response.header('upload-offset'));
    if (offset === undefined)
      throw new TusProtocolError(`the tus server answered HEAD ${url} without an Upload-Offset`);
    return offset;
  }

  async terminate(url: string, signal: AbortSignal): Promise<void> {
    const response = await this.send({ method: 'DELETE', url, headers: this.headers() }, signal);
    if (response.status !== 204 && response.status !== 404 && response.status !== 410) {
      throw await statusError(response, 'terminating the upload');
    }
  }

  private async send(request: Omit<TusRequest, 'signal'>, signal: AbortSignal): Promise<TusResponse> {
    const { controller, dispose } = linkedController(signal);
    const timer = this.clock.setTimer(() => {
      controller.abort(new TimeoutError(this.requestTimeoutMs, `${request.method} ${request.url}`));
    }, this.requestTimeoutMs);
    try {
      return await this.transport({ ...request, signal: controller.signal });
    } catch (error) {
      throw controller.signal.aborted && !signal.aborted ? controller.signal.reason : error;
    } finally {
      timer.cancel();
      dispose();
    }
  }
}

/** What failed, with what the likely cause is for the statuses a wrong address or a size limit give. */
function creating(status: number, endpoint: string, sizeBytes: number): string {
  if (status === 404 || status === 405)
    return `creating the upload at ${endpoint} (is it a tus endpoint? lifeline serve's is <server>/files/)`;
  if (status === 413)
    return `creating an upload of ${formatBytes(sizeBytes)} at ${endpoint} (too large for it)`;
  return 'creating the upload';
}

export async function statusError(response: TusResponse, what: string): Promise<TusStatusError> {
  const body = await response.text().catch(() => '');
  return new TusStatusError(response, body, what);
}

export function stallMessage(stallTimeoutMs: number, sentUpToBytes: number): string {
  return `upload stalled: no bytes moved for ${formatDuration(stallTimeoutMs)} after ${formatBytes(sentUpToBytes)} sent`;
}

/**
 * The offset a PATCH's answer acknowledges, or what went wrong: an offset outside the bytes sent, the
 * whole file's checksum refused (the last PATCH's 460, or a body naming the SHA-256), or another status.
 */
export async function patchAnswer(
  response: TusResponse,
  range: { offset: number; end: number; size: number },
  sha256: string,
): Promise<number> {
  const { offset, end, size } = range;
  if (response.status === 204 || response.status === 200) {
    const next = parseOffset(response.header('upload-offset'));
    if (next === undefined || next < offset || next > end)
      throw new TusProtocolError(
        `the tus server acknowledged an impossible offset (${next}) for bytes ${offset}–${end}`,
      );
    return next;
  }
  const error = await statusError(response, 'sending bytes');
  if (end === size && (response.status === 460 || /sha-?256/i.test(error.body)))
    throw new ChecksumMismatchError(error.body || `HTTP ${response.status}; sent sha256 ${sha256}`, error);
  throw error;
}
