import { BUFFERED_BODY } from '../http/body-guard.js';

const decoder = new TextDecoder();

/** A header name or value as sent: HTTP/1.1 header bytes are latin1. */
function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

type BodyMembers =
  | 'url'
  | 'headers'
  | 'body'
  | 'bodyUsed'
  | 'text'
  | 'json'
  | 'arrayBuffer'
  | 'blob'
  | 'formData'
  | 'clone';
/** Response, typed without the members redefined below (the DOM types declare them as plain properties). */
const ResponseBase = Response as unknown as new (
  body: null,
  init: ResponseInit,
) => Omit<Response, BodyMembers>;

/**
 * A Response over a body already read into memory. Node's Response turns any body into a WHATWG
 * ReadableStream when it is constructed (about 20 µs on Node 20, most of a small POST's client-side cost
 * beyond undici itself); this one keeps the bytes, reads them directly in text(), json(), arrayBuffer(),
 * bytes() and blob(), and builds a real Response — stream and all — only when `body`, formData() or
 * clone() of a read stream is asked for. Its Headers are built when first read, too: a caller that only
 * looks at the status and the text (the queue's `http` kind) never pays for them. Reading twice fails as
 * it does on any Response.
 */
export class BufferedResponse extends ResponseBase implements Response {
  readonly #bytes: Uint8Array | null;
  readonly #url: string;
  /** Name, value, name, value … as the wire had them (latin1); Headers are built from them when read. */
  readonly #rawHeaders: readonly Uint8Array[];
  #headers: Headers | undefined;
  #used = false;
  /** The full Response, once something needs its stream. */
  #streamed: Response | undefined;

  constructor(
    bytes: Uint8Array | null,
    init: { status: number; rawHeaders: readonly Uint8Array[]; url: string },
  ) {
    super(null, { status: init.status });
    this.#bytes = bytes;
    this.#url = init.url;
    this.#rawHeaders = init.rawHeaders;
  }

  get headers(): Headers {
    if (!this.#headers) {
      const headers = new Headers();
      const raw = this.#rawHeaders;
      for (let index = 0; index + 1 < raw.length; index += 2)
        headers.append(latin1(raw[index] as Uint8Array), latin1(raw[index + 1] as Uint8Array));
      this.#headers = headers;
    }
    return this.#headers;
  }

  get [BUFFERED_BODY](): true {
    return true;
  }

  get url(): string {
    return this.#url;
  }

  get body(): ReadableStream<Uint8Array> | null {
    return this.#bytes === null ? null : this.streamed().body;
  }

  get bodyUsed(): boolean {
    return this.#used || (this.#streamed?.bodyUsed ?? false);
  }

  async text(): Promise<string> {
    return this.#streamed ? this.#streamed.text() : decoder.decode(this.take());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    if (this.#streamed) return this.#streamed.arrayBuffer();
    const bytes = this.take();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(await this.arrayBuffer());
  }

  async blob(): Promise<Blob> {
    if (this.#streamed) return this.#streamed.blob();
    return new Blob([this.take()], { type: this.headers.get('content-type') ?? '' });
  }

  async formData(): Promise<FormData> {
    return this.streamed().formData();
  }

  clone(): Response {
    if (this.bodyUsed) throw new TypeError('Response.clone: the body has already been read');
    if (this.#streamed) return this.#streamed.clone();
    return new BufferedResponse(this.#bytes, {
      status: this.status,
      rawHeaders: this.#rawHeaders,
      url: this.#url,
    });
  }

  /** The bytes, once: a body can be read only once. */
  private take(): Uint8Array {
    if (this.#used) throw new TypeError('Body is unusable: the body has already been read');
    this.#used = true;
    return this.#bytes ?? new Uint8Array(0);
  }

  private streamed(): Response {
    if (!this.#streamed) {
      this.#streamed = new Response(this.#bytes, { status: this.status, headers: this.headers });
      // Read already: its stream is too, as on any Response.
      if (this.#used) this.#streamed.arrayBuffer().catch(() => {});
    }
    return this.#streamed;
  }
}
