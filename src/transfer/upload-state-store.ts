/**
 * Where resumable uploads remember their server URL, so an upload interrupted by a crash or a restart
 * resumes from the server's offset instead of starting again. Declared here, implemented in memory
 * (tests) and in SQLite (lifeline/node); every implementation passes the same contract suite.
 */
export interface UploadRecord {
  /** The source's fingerprint (path, size, mtime for a file). */
  fingerprint: string;
  /** The tus endpoint the upload was created at. */
  endpoint: string;
  /** The upload's own URL, from the creation response's Location. */
  uploadUrl: string;
  size: number;
  sha256: string;
  createdAtMs: number;
  /** From Upload-Expires: after this the server may have deleted the partial upload. */
  expiresAtMs?: number;
  /** The last offset the server acknowledged (for `lifeline uploads`; the server's HEAD is the truth). */
  offset: number;
  /**
   * How far the bytes sent reach while a PATCH is in flight, noted now and then (`noteSent`): on a slow
   * link one chunk is acknowledged only after minutes. Gone when the next acknowledged offset is stored.
   */
  sentUpToBytes?: number;
  updatedAtMs: number;
}

export interface UploadStateStore {
  get(fingerprint: string, endpoint: string): Promise<UploadRecord | undefined>;
  /** Adds or replaces the record for (fingerprint, endpoint). */
  put(record: UploadRecord): Promise<void>;
  remove(fingerprint: string, endpoint: string): Promise<void>;
  /** Notes how far the bytes sent reach, on the record if there is one (nothing otherwise). */
  noteSent(fingerprint: string, endpoint: string, sentUpToBytes: number): Promise<void>;
  list(): Promise<UploadRecord[]>;
  close?(): Promise<void>;
}

export class MemoryUploadStateStore implements UploadStateStore {
  private readonly records = new Map<string, UploadRecord>();

  async get(fingerprint: string, endpoint: string) {
    const record = this.records.get(key(fingerprint, endpoint));
    return record ? { ...record } : undefined;
  }

  async put(record: UploadRecord) {
    this.records.set(key(record.fingerprint, record.endpoint), { ...record });
  }

  async remove(fingerprint: string, endpoint: string) {
    this.records.delete(key(fingerprint, endpoint));
  }

  async noteSent(fingerprint: string, endpoint: string, sentUpToBytes: number) {
    const record = this.records.get(key(fingerprint, endpoint));
    if (record) record.sentUpToBytes = sentUpToBytes;
  }

  async list() {
    return [...this.records.values()].map((record) => ({ ...record }));
  }
}

const key = (fingerprint: string, endpoint: string) => `${endpoint}\u0000${fingerprint}`;
