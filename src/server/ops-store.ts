import { isUtf8 } from 'node:buffer';
import { openDatabase, type SchemaSpec, type SqliteDatabase } from '../node/sqlite.js';

/** The server's SQLite file: operations received, and the first response to each idempotency key. */
export const SERVER_SCHEMA: SchemaSpec = {
  name: 'server store',
  applicationId: 0x4c4c5331,
  migrations: [
    `CREATE TABLE operations (
       id INTEGER PRIMARY KEY AUTOINCREMENT,
       kind TEXT NOT NULL,
       idempotency_key TEXT,
       body BLOB NOT NULL,
       body_utf8 INTEGER NOT NULL,
       content_type TEXT,
       applied_at_ms INTEGER NOT NULL
     );
     CREATE INDEX operations_by_kind ON operations (kind, id);
     CREATE TABLE idempotency_keys (
       key TEXT PRIMARY KEY,
       fingerprint TEXT NOT NULL,
       operation_id INTEGER NOT NULL REFERENCES operations (id),
       status INTEGER NOT NULL,
       response TEXT NOT NULL
     ) WITHOUT ROWID;`,
  ],
};

/** An operation as the server recorded it. */
export interface StoredOperation {
  /** Increasing, never reused: `since` a given id lists what came after it. */
  id: number;
  kind: string;
  idempotencyKey: string | null;
  /** The body as received: UTF-8 text, or base64 when it was not valid UTF-8 (see `bodyEncoding`). */
  body: string;
  bodyEncoding: 'utf8' | 'base64';
  contentType: string | null;
  /** ISO 8601. */
  appliedAt: string;
}

/** What the response to a new operation says about it. */
export interface AppliedOperation {
  id: number;
  kind: string;
  idempotencyKey: string | null;
  /** ISO 8601. */
  appliedAt: string;
}

export interface OperationFilter {
  kind?: string;
  /** Only operations with a larger id. */
  sinceId?: number;
  /** At most this many, oldest first. Default: all. */
  limit?: number;
}

export interface NewOperation {
  kind: string;
  idempotencyKey?: string;
  /** Required with `idempotencyKey`: a digest of what makes two requests "the same" (kind and body). */
  fingerprint?: string;
  body: Buffer;
  contentType?: string;
  appliedAtMs: number;
}

/** The response to store with a key, and to send: built from the operation inside the transaction. */
export interface StoredResponse {
  status: number;
  body: string;
}

/** Builds the response for a newly applied operation (stored with its key, then sent). */
export type Respond = (applied: AppliedOperation) => StoredResponse;

export type RecordResult =
  | { outcome: 'applied'; operation: AppliedOperation; response: StoredResponse }
  | { outcome: 'replayed'; operationId: number; kind: string; response: StoredResponse }
  | { outcome: 'conflict'; operationId: number; kind: string };

interface OperationRow {
  id: number;
  kind: string;
  idempotency_key: string | null;
  body: Buffer;
  body_utf8: number;
  content_type: string | null;
  applied_at_ms: number;
}

interface KeyRow {
  fingerprint: string;
  operation_id: number;
  status: number;
  response: string;
  kind: string;
}

const COLUMNS = 'id, kind, idempotency_key, body, body_utf8, content_type, applied_at_ms';

/**
 * The server's store. Durability: an operation and, when it has an idempotency key, the key with its
 * fingerprint and the response sent are written in one transaction (or one savepoint of a group commit),
 * so either both are on disk or neither is, and a key seen once is answered from here forever, restarts
 * included. Keys are kept indefinitely. The server answers only after the commit; with
 * `synchronous: 'full'` (the default) the commit is fsynced first, so an acknowledged operation survives
 * power loss. A crash before the commit leaves no trace of the request, and its client, having no
 * answer, retries with the same key.
 */
export class OpsStore {
  readonly path: string;
  private readonly db: SqliteDatabase;
  private count: number;
  private readonly statements;
  private readonly recordOne;
  private readonly recordBatch;

  constructor(path: string, options: { synchronous?: 'full' | 'normal' } = {}) {
    this.path = path;
    this.db = openDatabase(path, SERVER_SCHEMA, options);
    const db = this.db;
    this.statements = {
      insert: db.prepare(
        `INSERT INTO operations (kind, idempotency_key, body, body_utf8, content_type, applied_at_ms)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      findKey: db.prepare(
        `SELECT k.fingerprint, k.operation_id, k.status, k.response, o.kind
         FROM idempotency_keys k JOIN operations o ON o.id = k.operation_id WHERE k.key = ?`,
      ),
      insertKey: db.prepare(
        'INSERT INTO idempotency_keys (key, fingerprint, operation_id, status, response) VALUES (?, ?, ?, ?, ?)',
      ),
      get: db.prepare(`SELECT ${COLUMNS} FROM operations WHERE id = ?`),
      list: db.prepare(`SELECT ${COLUMNS} FROM operations WHERE id > ? ORDER BY id LIMIT ?`),
      listKind: db.prepare(`SELECT ${COLUMNS} FROM operations WHERE kind = ? AND id > ? ORDER BY id LIMIT ?`),
      countByKey: db.prepare(
        `SELECT idempotency_key AS key, COUNT(*) AS n FROM operations
         WHERE idempotency_key IS NOT NULL GROUP BY idempotency_key`,
      ),
    };
    this.count = (db.prepare('SELECT COUNT(*) AS n FROM operations').get() as { n: number }).n;
    const recordOne = db.transaction(
      (operation: NewOperation, respond: Respond): RecordResult =>
        this.recordInTransaction(operation, respond),
    );
    this.recordOne = recordOne;
    this.recordBatch = db.transaction(
      (requests: ReadonlyArray<{ operation: NewOperation; respond: Respond }>) =>
        requests.map(({ operation, respond }): RecordResult | Error => {
          try {
            return recordOne(operation, respond); // nested: a savepoint
          } catch (error) {
            return error instanceof Error ? error : new Error(String(error));
          }
        }),
    );
  }

  /**
   * Applies `operation` — unless its idempotency key was seen: then the first response (same kind and
   * body) or a conflict (a different request under the same key). `respond` builds the response to store
   * with the key; it runs inside the transaction. One transaction, one commit.
   */
  record(operation: NewOperation, respond: Respond): RecordResult {
    return this.counted([this.recordOne.immediate(operation, respond)])[0] as RecordResult;
  }

  /**
   * Group commit: records each request in its own savepoint (an operation and its key are written
   * together or not at all; one that fails is rolled back alone and reported as its Error), all under one
   * transaction, so the whole batch costs one commit — one fsync with `synchronous: 'full'`. Requests are
   * applied in order, so a key repeated within the batch is answered as a replay. Throws if the commit
   * itself fails: then nothing in the batch was applied.
   */
  recordMany(
    requests: ReadonlyArray<{ operation: NewOperation; respond: Respond }>,
  ): Array<RecordResult | Error> {
    return this.counted(this.recordBatch.immediate(requests));
  }

  /** Counts what a committed transaction applied (counting inside it would drift when a commit fails). */
  private counted<T extends RecordResult | Error>(results: T[]): T[] {
    for (const result of results)
      if (!(result instanceof Error) && result.outcome === 'applied') this.count++;
    return results;
  }

  private recordInTransaction(operation: NewOperation, respond: Respond): RecordResult {
    const key = operation.idempotencyKey;
    if (key !== undefined) {
      const seen = this.statements.findKey.get(key) as KeyRow | undefined;
      if (seen) {
        if (seen.fingerprint !== operation.fingerprint)
          return { outcome: 'conflict', operationId: seen.operation_id, kind: seen.kind };
        const response = { status: seen.status, body: seen.response };
        return { outcome: 'replayed', operationId: seen.operation_id, kind: seen.kind, response };
      }
    }
    const utf8 = isUtf8(operation.body);
    const info = this.statements.insert.run(
      operation.kind,
      key ?? null,
      operation.body,
      utf8 ? 1 : 0,
      operation.contentType ?? null,
      operation.appliedAtMs,
    );
    const stored: AppliedOperation = {
      id: Number(info.lastInsertRowid),
      kind: operation.kind,
      idempotencyKey: key ?? null,
      appliedAt: new Date(operation.appliedAtMs).toISOString(),
    };
    const response = respond(stored);
    if (key !== undefined) {
      if (operation.fingerprint === undefined) throw new Error('an operation with a key needs a fingerprint');
      this.statements.insertKey.run(key, operation.fingerprint, stored.id, response.status, response.body);
    }
    return { outcome: 'applied', operation: stored, response };
  }

  get(id: number): StoredOperation | undefined {
    const row = this.statements.get.get(id) as OperationRow | undefined;
    return row && toOperation(row);
  }

  /** Oldest first. */
  list(filter: OperationFilter = {}): StoredOperation[] {
    const since = filter.sinceId ?? 0;
    const limit = filter.limit ?? -1; // SQLite: a negative LIMIT means none
    const rows = (
      filter.kind === undefined
        ? this.statements.list.all(since, limit)
        : this.statements.listKind.all(filter.kind, since, limit)
    ) as OperationRow[];
    return rows.map(toOperation);
  }

  /** How many operations were applied (kept in memory: this process is the file's only writer). */
  get size(): number {
    return this.count;
  }

  /** How many times each idempotency key was applied; with idempotency working, every count is 1. */
  appliedCountByKey(): Map<string, number> {
    const rows = this.statements.countByKey.all() as Array<{ key: string; n: number }>;
    return new Map(rows.map((row) => [row.key, row.n]));
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function toOperation(row: OperationRow): StoredOperation {
  const utf8 = row.body_utf8 === 1;
  return {
    id: row.id,
    kind: row.kind,
    idempotencyKey: row.idempotency_key,
    body: row.body.toString(utf8 ? 'utf8' : 'base64'),
    bodyEncoding: utf8 ? 'utf8' : 'base64',
    contentType: row.content_type,
    appliedAt: new Date(row.applied_at_ms).toISOString(),
  };
}
