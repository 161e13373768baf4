import { join } from 'node:path';
import type { FailureStore } from '../analytics/failure-store.js';
import type { FailureRecord } from '../analytics/records.js';
import { type OpenOptions, openDatabase, type SchemaSpec, type SqliteDatabase } from './sqlite.js';
import { stateDirectory } from './state-dir.js';

const SCHEMA: SchemaSpec = {
  name: 'failure log',
  applicationId: 0x4c4c4631, // "LLF1"
  migrations: [
    `CREATE TABLE failures (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, record TEXT NOT NULL);
     CREATE INDEX failures_at ON failures (at);`,
  ],
};

export interface SqliteFailureStoreOptions extends OpenOptions {
  /** Default `failures.db` in the state directory. */
  path?: string;
  /** Records kept on disk; the oldest are pruned past this. Default 50,000. */
  maxRecords?: number;
}

/**
 * The failure log on disk, so `lifeline health failures` sees failures across runs. Records are written
 * with synchronous=NORMAL by default: losing the last few failure records on power loss is acceptable,
 * paying an fsync for each failure on a failing link is not.
 */
export class SqliteFailureStore implements FailureStore {
  readonly path: string;
  private readonly db: SqliteDatabase;
  private readonly maxRecords: number;
  private readonly statements;
  private appendsSincePrune = 0;

  constructor(options: SqliteFailureStoreOptions = {}) {
    this.path = options.path ?? join(stateDirectory(), 'failures.db');
    this.db = openDatabase(this.path, SCHEMA, { synchronous: 'normal', ...options });
    this.maxRecords = options.maxRecords ?? 50_000;
    this.statements = {
      append: this.db.prepare('INSERT INTO failures (at, record) VALUES (?, ?)'),
      load: this.db.prepare(
        'SELECT record FROM (SELECT id, record FROM failures WHERE at >= ? ORDER BY id DESC LIMIT ?) ORDER BY id',
      ),
      clear: this.db.prepare('DELETE FROM failures'),
      prune: this.db.prepare('DELETE FROM failures WHERE id <= (SELECT MAX(id) FROM failures) - ?'),
    };
  }

  append(record: FailureRecord): void {
    this.statements.append.run(record.atMs, JSON.stringify(record));
    if (++this.appendsSincePrune >= 1000) {
      this.appendsSincePrune = 0;
      this.statements.prune.run(this.maxRecords);
    }
  }

  load(sinceMs: number, limit: number): FailureRecord[] {
    return (this.statements.load.all(sinceMs, limit) as Array<{ record: string }>).map(
      (row) => JSON.parse(row.record) as FailureRecord,
    );
  }

  clear(): void {
    this.statements.clear.run();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
