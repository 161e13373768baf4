import { closeSync, openSync, readSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { StoreError } from '../core/errors.js';
import { ensurePrivateFile } from './state-dir.js';

export type SqliteDatabase = Database.Database;

/** What a lifeline store file is: its application id, and the migrations that build its schema. */
export interface SchemaSpec {
  /** Human name for messages: "queue", "failure log". */
  name: string;
  /** Written to PRAGMA application_id, so a lifeline file is recognised and a foreign one refused. */
  applicationId: number;
  /** migrations[i] takes the schema from version i to i + 1. Never edit a released one: append. */
  migrations: readonly string[];
}

export interface OpenOptions {
  /**
   * `full` (default): an acknowledged write survives power loss (fsync on every commit in WAL mode).
   * `normal`: survives a crash of the process, may lose the last commits on power loss; much faster.
   */
  synchronous?: 'full' | 'normal';
  /** How long to wait for another process's write lock before failing. Default 5000 ms. */
  busyTimeoutMs?: number;
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Opens (creating if needed) a lifeline SQLite file: WAL journal, the requested `synchronous`, a busy
 * timeout so the agent and the CLI can use the same file at once, file mode 0600, and the schema migrated
 * to the latest version inside an immediate transaction (two processes opening a fresh file cannot both
 * migrate). A file that is not SQLite, is corrupt, belongs to another application, or was written by a
 * newer lifeline raises a StoreError and is left exactly as it was.
 */
export function openDatabase(path: string, schema: SchemaSpec, options: OpenOptions = {}): SqliteDatabase {
  ensurePrivateFile(path);
  checkHeader(path, schema);
  let db: SqliteDatabase;
  try {
    db = new Database(path, { fileMustExist: true });
  } catch (error) {
    throw corrupt(path, schema, error);
  }
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.round(options.busyTimeoutMs ?? 5000))}`);
    checkIdentity(db, path, schema);
    const integrity = db.pragma('quick_check', { simple: true });
    if (integrity !== 'ok') throw corrupt(path, schema, new Error(String(integrity)));
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.pragma('foreign_keys = ON');
    migrate(db, path, schema);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof StoreError) throw error;
    throw corrupt(path, schema, error);
  }
}

function checkHeader(path: string, schema: SchemaSpec): void {
  if (statSync(path).size === 0) return; // new file
  const header = Buffer.alloc(SQLITE_HEADER.length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (!header.equals(SQLITE_HEADER)) {
    throw new StoreError(
      'STORE_FOREIGN',
      path,
      `${path} is not a SQLite database, so it cannot be lifeline's ${schema.name}; it was left untouched. ` +
        'Move it away, or point LIFELINE_HOME at another directory.',
    );
  }
}

function checkIdentity(db: SqliteDatabase, path: string, schema: SchemaSpec): void {
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  if (applicationId === schema.applicationId) return;
  const tables = (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>
  )
    .map((row) => row.name)
    .filter((name) => !name.startsWith('sqlite_'));
  if (applicationId === 0 && tables.length === 0) return; // a new, empty database
  const whose =
    applicationId === 0 ? `tables: ${tables.join(', ')}` : `application_id 0x${applicationId.toString(16)}`;
  throw new StoreError(
    'STORE_FOREIGN',
    path,
    `${path} is a SQLite database of something else (${whose}), not lifeline's ${schema.name}; it was left ` +
      'untouched. Move it away, or point LIFELINE_HOME at another directory.',
  );
}

function migrate(db: SqliteDatabase, path: string, schema: SchemaSpec): void {
  const latest = schema.migrations.length;
  const run = db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > latest) {
      throw new StoreError(
        'STORE_TOO_NEW',
        path,
        `${path} was written by a newer lifeline (${schema.name} schema v${current}; this one knows up to v${latest}). ` +
          'Upgrade lifeline; the file was left untouched.',
      );
    }
    for (let version = current; version < latest; version++) db.exec(schema.migrations[version] as string);
    if (current < latest) {
      db.pragma(`application_id = ${schema.applicationId}`);
      db.pragma(`user_version = ${latest}`);
    }
  });
  run.immediate();
}

function corrupt(path: string, schema: SchemaSpec, cause: unknown): StoreError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new StoreError(
    'STORE_CORRUPT',
    path,
    `${path} cannot be read as lifeline's ${schema.name} (${detail}); it was left untouched. ` +
      'Keep it for inspection, move it away, and lifeline will start a new one.',
    cause,
  );
}
