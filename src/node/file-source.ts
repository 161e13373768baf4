import { type FileHandle, open, realpath, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { InvalidOptionError, LifelineError } from '../core/errors.js';
import type { ByteSource } from '../transfer/byte-source.js';
import { sha256File } from './sha256-file.js';

/**
 * A file on disk as an upload source. Its fingerprint is path, size and modification time, so an upload
 * resumes only while the file is unchanged; a changed file starts cleanly anew, and a file deleted or
 * changed mid-upload is reported (`verify`) instead of sending a mix of old and new bytes.
 */
export class FileSource implements ByteSource {
  readonly name: string;
  private handle: Promise<FileHandle> | undefined;
  private digest: Promise<string> | undefined;

  private constructor(
    readonly path: string,
    readonly size: number,
    private readonly mtimeMs: number,
  ) {
    this.name = basename(path);
  }

  /** Opens `path`; a missing file or a directory is a clear error. */
  static async open(path: string): Promise<FileSource> {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch (error) {
      throw missing(path, error);
    }
    if (!info.isFile())
      throw new InvalidOptionError(`${path} is not a regular file, so it cannot be uploaded`);
    return new FileSource(await realpath(path), info.size, info.mtimeMs);
  }

  get fingerprint(): string {
    return `file:${this.path}:${this.size}:${Math.floor(this.mtimeMs)}`;
  }

  /** Checks the file is unchanged while it reads, so the check costs no time on the wire. */
  async slice(start: number, end: number, into?: Uint8Array): Promise<Uint8Array> {
    const length = end - start;
    const buffer = into && into.length >= length ? into.subarray(0, length) : Buffer.allocUnsafe(length);
    const [, bytes] = await Promise.all([this.verify(), this.readFully(buffer, start)]);
    return bytes;
  }

  sha256(): Promise<string> {
    this.digest ??= this.hashFile().catch((error: unknown) => {
      this.digest = undefined; // a later call tries again (the file may be back)
      throw error instanceof LifelineError ? error : missing(this.path, error);
    });
    return this.digest;
  }

  private async hashFile(): Promise<string> {
    const { sha256, sizeBytes } = await sha256File(this.path);
    if (sizeBytes !== this.size) throw changed(this.path, `it is ${sizeBytes} bytes now, not ${this.size}`);
    return sha256;
  }

  private async readFully(buffer: Uint8Array, start: number): Promise<Uint8Array> {
    this.handle ??= open(this.path, 'r').catch((error: unknown) => {
      this.handle = undefined;
      throw missing(this.path, error);
    });
    const handle = await this.handle;
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, start + filled);
      if (bytesRead === 0) throw changed(this.path, 'it became shorter');
      filled += bytesRead;
    }
    return buffer;
  }

  async verify(): Promise<void> {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(this.path);
    } catch (error) {
      throw missing(this.path, error);
    }
    if (info.size !== this.size || Math.floor(info.mtimeMs) !== Math.floor(this.mtimeMs)) {
      throw changed(
        this.path,
        info.size === this.size
          ? 'its modification time changed'
          : `its size changed from ${this.size} to ${info.size} bytes`,
      );
    }
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await (await handle?.catch(() => undefined))?.close();
  }
}

/** The file is gone: nothing can make this upload succeed (a permanent failure: the dead letter). */
export class SourceMissingError extends LifelineError {
  constructor(path: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const what =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES'
          ? 'cannot be read (permission denied)'
          : 'cannot be read';
    // The cause's message repeats the path; only an unexpected code adds something.
    const detail = code === 'ENOENT' || code === 'EACCES' ? '' : `: ${(cause as Error).message}`;
    super(
      'SOURCE_MISSING',
      `${path} ${what}, so it cannot be uploaded${detail}`,
      { kind: 'permanent', retryable: false, serviceFault: false },
      { cause },
    );
    this.name = 'SourceMissingError';
  }
}

/** The file changed under the upload: it is sent again from the start with its new content (retryable). */
export class SourceChangedError extends LifelineError {
  constructor(path: string, how: string) {
    super(
      'SOURCE_CHANGED',
      `${path} changed while it was being uploaded (${how}); it will be uploaded again from the start`,
      { kind: 'transient', retryable: true, serviceFault: false },
    );
    this.name = 'SourceChangedError';
  }
}

function missing(path: string, cause: unknown): SourceMissingError {
  return new SourceMissingError(path, cause);
}

function changed(path: string, how: string): SourceChangedError {
  return new SourceChangedError(path, how);
}
