import type { TusRequest, TusResponse, TusTransport } from '../../../src/transfer/tus-transport.js';

interface StoredUpload {
  length: number;
  data: number[];
  metadata: Record<string, string>;
}

type Fault =
  | { type: 'resetAfter'; bytes: number }
  | { type: 'stall'; afterBytes: number }
  | { type: 'status'; status: number; headers?: Record<string, string>; body?: string }
  | { type: 'offline' };

/**
 * A tus server in memory, as a transport, for unit tests on the fake clock: it keeps the bytes it
 * received, answers the protocol, and injects the faults a test schedules for the next PATCHes.
 */
export class MemoryTusServer {
  readonly uploads = new Map<string, StoredUpload>();
  readonly requests: string[] = [];
  private readonly faults: Fault[] = [];
  private nextId = 1;
  patchBytesReceived = 0;
  extensions = 'creation,termination,expiration';

  /** Faults for the next PATCH requests, in order. */
  fail(...faults: Fault[]): void {
    this.faults.push(...faults);
  }

  readonly transport: TusTransport = async (request) => {
    this.requests.push(`${request.method} ${new URL(request.url).pathname}`);
    if (request.method === 'OPTIONS')
      return respond(204, { 'tus-extension': this.extensions, 'tus-version': '1.0.0' });
    if (request.method === 'POST') {
      const id = `u${this.nextId++}`;
      const metadata = Object.fromEntries(
        (request.headers['upload-metadata'] ?? '')
          .split(',')
          .filter(Boolean)
          .map((pair) => {
            const [key, value = ''] = pair.split(' ');
            return [
              key as string,
              new TextDecoder().decode(Uint8Array.from(atob(value), (c) => c.charCodeAt(0))),
            ];
          }),
      );
      this.uploads.set(id, { length: Number(request.headers['upload-length']), data: [], metadata });
      return respond(201, { location: `/files/${id}` });
    }
    const id = new URL(request.url).pathname.split('/').pop() as string;
    const upload = this.uploads.get(id);
    if (!upload) return respond(404, {});
    if (request.method === 'HEAD') return respond(200, { 'upload-offset': String(upload.data.length) });
    if (request.method === 'DELETE') {
      this.uploads.delete(id);
      return respond(204, {});
    }
    return this.patch(request, upload);
  };

  private async patch(request: TusRequest, upload: StoredUpload): Promise<TusResponse> {
    const fault = this.faults.shift();
    if (fault?.type === 'offline')
      throw Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' });
    if (fault?.type === 'status') return respond(fault.status, fault.headers ?? {}, fault.body);
    if (Number(request.headers['upload-offset']) !== upload.data.length) return respond(409, {});
    let received = 0;
    for await (const piece of request.body ?? []) {
      for (const byte of piece) {
        if (fault?.type === 'resetAfter' && received >= fault.bytes) {
          throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
        }
        if (fault?.type === 'stall' && received >= fault.afterBytes) {
          await new Promise((_, reject) =>
            request.signal.addEventListener('abort', () => reject(request.signal.reason)),
          );
        }
        upload.data.push(byte);
        received++;
        this.patchBytesReceived++;
      }
    }
    return respond(204, { 'upload-offset': String(upload.data.length) });
  }
}

function respond(status: number, headers: Record<string, string>, body = ''): TusResponse {
  return { status, header: (name) => headers[name.toLowerCase()] ?? null, text: async () => body };
}
