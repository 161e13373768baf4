/**
 * What an upload reads from. The resumable upload asks for slices by byte range, so a file of any size is
 * read a chunk at a time and a resumed upload reads from where the server's offset says.
 */
export interface ByteSource {
  readonly size: number;
  /**
   * Identifies the content for resuming across restarts: the same fingerprint at the same endpoint resumes
   * the same upload. A file's path, size and modification time (lifeline/node's FileSource) change when
   * the file does, so a changed file starts cleanly anew.
   */
  readonly fingerprint: string;
  /** Sent as the `filename` metadata. */
  readonly name?: string;
  /**
   * Bytes [start, end). A source that reads into memory it is given (a file) fills `into`, which is at
   * least end − start bytes long, and returns a view of it; a source that holds its bytes returns them.
   */
  slice(start: number, end: number, into?: Uint8Array): Promise<Uint8Array>;
  /** SHA-256 of the whole content, lowercase hex: the server checks it when the upload completes. */
  sha256(): Promise<string>;
  /** Throws a clear error if the content is gone or has changed since the source was made. */
  verify?(): Promise<void>;
  close?(): Promise<void>;
}

/** A source over bytes in memory (a Uint8Array or a Blob's contents). */
export class BytesSource implements ByteSource {
  readonly size: number;
  readonly fingerprint: string;
  private digest: Promise<string> | undefined;

  constructor(
    private readonly bytes: Uint8Array,
    options: { name?: string; fingerprint?: string } = {},
  ) {
    this.size = bytes.length;
    if (options.name !== undefined) this.name = options.name;
    this.fingerprint = options.fingerprint ?? `bytes:${options.name ?? 'unnamed'}:${bytes.length}`;
  }

  readonly name?: string;

  async slice(start: number, end: number): Promise<Uint8Array> {
    return this.bytes.subarray(start, end);
  }

  sha256(): Promise<string> {
    this.digest ??= crypto.subtle.digest('SHA-256', this.bytes as Uint8Array<ArrayBuffer>).then(toHex);
    return this.digest;
  }
}

function toHex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, '0')).join('');
}
