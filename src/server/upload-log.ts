import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** An upload that arrived whole (and, when the client named its SHA-256, intact). */
export interface FinishedUpload {
  /** The tus upload id: the last segment of its URL, and the file's name on disk. */
  id: string;
  /** From `Upload-Metadata` `filename`, when the client sent one. Never used as a path. */
  filename?: string;
  /** Bytes. */
  size: number;
  /** SHA-256 of the stored file, lowercase hex — computed by the server in every case. */
  sha256: string;
  /** The client sent `sha256` in `Upload-Metadata` and it matched; false when it sent none. */
  verified: boolean;
  /** ISO 8601. */
  finishedAt: string;
  /** Absolute path of the stored file: `<dataDir>/files/<id>`. */
  path: string;
  /** All of the client's `Upload-Metadata`, decoded (a key sent without a value is null). */
  metadata: Record<string, string | null>;
}

/**
 * The record of finished uploads: one JSON line per upload in `<dataDir>/uploads.jsonl`, appended and
 * fsynced before the final response is sent (the uploaded file and its directory are fsynced first). A
 * crash can leave a torn last line: it is skipped when the log is read back, and the upload it described is
 * found again, complete on disk, by the check that runs at start. Paths are not stored: they are derived from
 * the directory, so a data directory that moves keeps working.
 */
export class UploadLog {
  private readonly byId = new Map<string, FinishedUpload>();

  constructor(
    /** The log file. */
    readonly path: string,
    /** Where the uploaded files are. */
    readonly directory: string,
  ) {}

  /** Reads the log (an absent file is an empty log); replaces what was loaded before. */
  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') text = '';
      else throw error;
    }
    this.byId.clear();
    for (const line of text.split('\n')) {
      const record = parseLine(line);
      if (record) this.byId.set(record.id, { ...record, path: join(this.directory, record.id) });
    }
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Oldest first. */
  list(): FinishedUpload[] {
    return [...this.byId.values()].map((upload) => ({ ...upload, metadata: { ...upload.metadata } }));
  }

  /** Appends `upload` durably (write + fdatasync) and adds it to the list. */
  async append(upload: FinishedUpload): Promise<void> {
    const { path: _path, ...stored } = upload;
    const handle = await open(this.path, 'a', 0o600);
    try {
      await handle.write(`${JSON.stringify(stored)}\n`);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    this.byId.set(upload.id, upload);
  }
}

/** Flushes a file's data, then its directory entry (where the platform allows syncing a directory). */
export async function syncFile(path: string, directory: string): Promise<void> {
  const file = await open(path, 'r+');
  try {
    await file.datasync();
  } finally {
    await file.close();
  }
  try {
    const dir = await open(directory, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // Windows cannot open or sync a directory; its file system orders the entry with the data anyway.
  }
}

function parseLine(line: string): Omit<FinishedUpload, 'path'> | undefined {
  if (line.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined; // a line torn by a crash
  }
  const record = value as Partial<FinishedUpload> | null;
  if (
    typeof record?.id !== 'string' ||
    typeof record.size !== 'number' ||
    typeof record.sha256 !== 'string' ||
    typeof record.finishedAt !== 'string'
  )
    return undefined;
  return {
    id: record.id,
    ...(typeof record.filename === 'string' ? { filename: record.filename } : {}),
    size: record.size,
    sha256: record.sha256,
    verified: record.verified === true,
    finishedAt: record.finishedAt,
    metadata: typeof record.metadata === 'object' && record.metadata !== null ? record.metadata : {},
  };
}
