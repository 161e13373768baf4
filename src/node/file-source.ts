import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, open, realpath, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { InvalidOptionError, LifelineError } from '../core/errors.js';
import type { ByteSource } from '../transfer/byte-source.js';

/**
 * A file on disk as an upload source. Its fingerprint is path, size and modification time, so an upload
 * resumes only while the file is unchanged; a changed file starts cleanly anew, and a file deleted or
 * changed mid-upload is reported (`verify`) instead of sending a mix of old and new bytes.
 */
export class FileSource implements ByteSource {
  readonly name: string;
  private handle: FileHandle | undefined;
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

  async slice(start: number, end: number): Promise<Uint8Array> {
    await this.verify();
    this.handle ??= await open(this.path, 'r');
    const buffer = Buffer.allocUnsafe(end - start);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await this.handle.read(buffer, filled, buffer.length - filled, start + filled);
      if (bytesRead === 0) throw changed(this.path, 'it became shorter');
      filled += bytesRead;
    }
    return buffer;
  }

  sha256(): Promise<string> {
    this.digest ??= new Promise((resolve, reject) => {
      const hash = createHash('sha256');
      createReadStream(this.path)
        .on('data', (chunk) => hash.update(chunk))
        .on('end', () => resolve(hash.digest('hex')))
        .on('error', (error) => reject(missing(this.path, error)));
    });
    return this.digest;
  }

  async verify(): Promise<void> {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(this.path);
    } catch (error) {
      throw missing(this.path, error);
    }
    if (info.size !== this.size || Math.floor(info.mtimeMs) !== Math.floor(this.mtimeMs)) {
      throw changed(this.path, `its size or modification time changed (${this.size} → ${info.size} bytes)`);
    }
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}

/** The file is gone: nothing can make this upload succeed (a permanent failure: the dead letter). */
export class SourceMissingError extends LifelineError {
  constructor(path: string, cause: unknown) {
    super(
      'SOURCE_MISSING',
      `${path} no longer exists (or cannot be read), so it cannot be uploaded: ${(cause as Error).message}`,
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
