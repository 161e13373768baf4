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

/**
 * What a running upload waits for while no byte moves, for `lifeline uploads` in another process: the
 * link, or the next try after a failure. Kept beside the records, not in them: an upload whose creation
 * fails has no record yet, and waits all the same.
 */
export interface UploadWait {
  /** `link`: the link is down; `retry`: a failed request is tried again at `retryAtMs`. */
  for: 'link' | 'retry';
  sinceMs: number;
  retryAtMs?: number;
  /** Retries in this run so far. */
  retries: number;
  /** What failed, as classify() words it (a retry). */
  reason?: string;
}

export interface NotedWait extends UploadWait {
  fingerprint: string;
  endpoint: string;
}

export interface UploadStateStore {
  get(fingerprint: string, endpoint: string): Promise<UploadRecord | undefined>;
  /** Adds or replaces the record for (fingerprint, endpoint). */
  put(record: UploadRecord): Promise<void>;
  remove(fingerprint: string, endpoint: string): Promise<void>;
  /**
   * Notes how far the bytes sent reach, on the record if there is one (nothing otherwise), and, given
   * `atMs`, that the record was updated then (bytes moved then: `lifeline uploads` tells a stall by it).
   */
  noteSent(fingerprint: string, endpoint: string, sentUpToBytes: number, atMs?: number): Promise<void>;
  /**
   * Notes what the upload of (fingerprint, endpoint) waits for; `undefined`: it waits no more. Optional
   * (both or neither): a store without it only leaves `lifeline uploads` unable to say why no byte moves.
   */
  noteWait?(fingerprint: string, endpoint: string, wait: UploadWait | undefined): Promise<void>;
  /** Every wait noted and not yet cleared. */
  waits?(): Promise<NotedWait[]>;
  list(): Promise<UploadRecord[]>;
  close?(): Promise<void>;
}

export class MemoryUploadStateStore implements UploadStateStore {
  private readonly records = new Map<string, UploadRecord>();
  private readonly noted = new Map<string, NotedWait>();

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

  async noteSent(fingerprint: string, endpoint: string, sentUpToBytes: number, atMs?: number) {
    const record = this.records.get(key(fingerprint, endpoint));
    if (!record) return;
    record.sentUpToBytes = sentUpToBytes;
    if (atMs !== undefined) record.updatedAtMs = atMs;
  }

  async noteWait(fingerprint: string, endpoint: string, wait: UploadWait | undefined) {
    if (wait) this.noted.set(key(fingerprint, endpoint), { ...wait, fingerprint, endpoint });
    else this.noted.delete(key(fingerprint, endpoint));
  }

  async waits() {
    return [...this.noted.values()].map((wait) => ({ ...wait }));
  }

  async list() {
    return [...this.records.values()].map((record) => ({ ...record }));
  }
}

const key = (fingerprint: string, endpoint: string) => `${endpoint}\u0000${fingerprint}`;
