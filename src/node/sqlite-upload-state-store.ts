import { join } from 'node:path';
import type {
  NotedWait,
  UploadRecord,
  UploadStateStore,
  UploadWait,
} from '../transfer/upload-state-store.js';
import { type OpenOptions, openDatabase, type SchemaSpec, type SqliteDatabase } from './sqlite.js';
import { stateDirectory } from './state-dir.js';

const SCHEMA: SchemaSpec = {
  name: 'upload state',
  applicationId: 0x4c4c5531, // "LLU1"
  migrations: [
    `CREATE TABLE uploads (
       fingerprint TEXT NOT NULL,
       endpoint TEXT NOT NULL,
       record TEXT NOT NULL,
       PRIMARY KEY (fingerprint, endpoint)
     )`,
    `CREATE TABLE upload_waits (
       fingerprint TEXT NOT NULL,
       endpoint TEXT NOT NULL,
       wait TEXT NOT NULL,
       PRIMARY KEY (fingerprint, endpoint)
     )`,
  ],
};

/**
 * Upload URLs on disk (default `uploads.db` in the state directory), so an upload interrupted by a crash
 * resumes the same server upload. Written with synchronous=FULL: the record of a created upload must
 * survive, or a restart would create a second one and re-send every byte.
 */
export class SqliteUploadStateStore implements UploadStateStore {
  readonly path: string;
  private readonly db: SqliteDatabase;
  private readonly statements;

  constructor(options: OpenOptions & { path?: string } = {}) {
    this.path = options.path ?? join(stateDirectory(), 'uploads.db');
    this.db = openDatabase(this.path, SCHEMA, options);
    this.statements = {
      get: this.db.prepare('SELECT record FROM uploads WHERE fingerprint = ? AND endpoint = ?'),
      put: this.db.prepare(
        `INSERT INTO uploads (fingerprint, endpoint, record) VALUES (?, ?, ?)
         ON CONFLICT (fingerprint, endpoint) DO UPDATE SET record = excluded.record`,
      ),
      remove: this.db.prepare('DELETE FROM uploads WHERE fingerprint = ? AND endpoint = ?'),
      noteSent: this.db.prepare(
        `UPDATE uploads SET record = json_set(record, '$.sentUpToBytes', ?, '$.updatedAtMs', COALESCE(?, record ->> '$.updatedAtMs'))
         WHERE fingerprint = ? AND endpoint = ?`,
      ),
      list: this.db.prepare('SELECT record FROM uploads ORDER BY rowid'),
      setWait: this.db.prepare(
        `INSERT INTO upload_waits (fingerprint, endpoint, wait) VALUES (?, ?, ?)
         ON CONFLICT (fingerprint, endpoint) DO UPDATE SET wait = excluded.wait`,
      ),
      clearWait: this.db.prepare('DELETE FROM upload_waits WHERE fingerprint = ? AND endpoint = ?'),
      waits: this.db.prepare('SELECT fingerprint, endpoint, wait FROM upload_waits'),
    };
  }

  async get(fingerprint: string, endpoint: string) {
    const row = this.statements.get.get(fingerprint, endpoint) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as UploadRecord) : undefined;
  }

  async put(record: UploadRecord) {
    this.statements.put.run(record.fingerprint, record.endpoint, JSON.stringify(record));
  }

  async remove(fingerprint: string, endpoint: string) {
    this.statements.remove.run(fingerprint, endpoint);
  }

  async noteSent(fingerprint: string, endpoint: string, sentUpToBytes: number, atMs?: number) {
    this.statements.noteSent.run(sentUpToBytes, atMs ?? null, fingerprint, endpoint);
  }

  async noteWait(fingerprint: string, endpoint: string, wait: UploadWait | undefined) {
    if (wait) this.statements.setWait.run(fingerprint, endpoint, JSON.stringify(wait));
    else this.statements.clearWait.run(fingerprint, endpoint);
  }

  async waits() {
    const rows = this.statements.waits.all() as Array<{
      fingerprint: string;
      endpoint: string;
      wait: string;
    }>;
    return rows.map(
      ({ fingerprint, endpoint, wait }) => ({ ...JSON.parse(wait), fingerprint, endpoint }) as NotedWait,
    );
  }

  async list() {
    return (this.statements.list.all() as Array<{ record: string }>).map(
      (row) => JSON.parse(row.record) as UploadRecord,
    );
  }

  async close() {
    if (this.db.open) this.db.close();
  }
}
