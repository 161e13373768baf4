import { join } from 'node:path';
import { FileStore } from '@tus/file-store';
import { ERRORS, Server as TusServer, type Upload } from '@tus/server';
import type { Clock } from '../core/clock.js';
import { requireInteger } from '../core/validate.js';
import { sha256File } from '../node/sha256-file.js';
import { ensureDirectory } from '../node/state-dir.js';
import { HttpError } from './http-io.js';
import { keptBodyRequest, sendWebResponse } from './kept-body.js';
import { ReadAheadBudget } from './read-ahead-budget.js';
import type { RouteContext, Router } from './router.js';
import { type FinishedUpload, syncFile, UploadLog } from './upload-log.js';

/** Where tus is mounted: `POST /files/` creates an upload, `/files/<id>` is one upload. */
export const TUS_PATH = '/files';
/** 10 GiB. */
export const DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024 * 1024;
/** 24 hours. */
export const DEFAULT_UPLOAD_EXPIRATION_MS = 24 * 60 * 60 * 1000;
/**
 * The status of a final PATCH (or a creation-with-upload POST) whose bytes do not hash to the `sha256` the
 * client declared: tus's "460 Checksum Mismatch". It is unambiguous here because this server does not offer
 * the per-request checksum extension, and unlike 409 (which a tus client answers with HEAD and resume) or a
 * generic 422 it tells the client exactly what failed: the whole file must be sent again as a new upload.
 */
export const CHECKSUM_MISMATCH_STATUS = 460;
/** The `Upload-Metadata` key under which a client declares the file's SHA-256 (hex). */
export const SHA256_METADATA_KEY = 'sha256';
/** In the data directory: the uploads (and @tus/file-store's info files), and the record of finished ones. */
const UPLOADS_DIRECTORY = 'files';
const UPLOAD_LOG_FILE = 'uploads.jsonl';

const SHA256_HEX = /^[0-9a-f]{64}$/i;
const MIN_SWEEP_INTERVAL_MS = 1000;
const MAX_SWEEP_INTERVAL_MS = 60 * 60 * 1000;

/** A finished upload whose bytes did not match its declared SHA-256: it was deleted and refused with 460. */
export interface UploadRejectedEvent {
  id: string;
  filename?: string;
  size: number;
  expected: string;
  actual: string;
}

/** An unfinished upload was past its expiry and was deleted. */
export interface UploadExpiredEvent {
  id: string;
  filename?: string;
  /** Bytes received before it expired. */
  offset: number;
  /** The declared length (undefined for a deferred length never declared). */
  size?: number;
}

/** Documented on ServerOptions, which passes them on. */
export interface TusEndpointOptions {
  /** The server's data directory: uploads land in `files/`, their record is `uploads.jsonl`. */
  dataDir: string;
  maxUploadBytes?: number;
  uploadExpirationMs?: number;
  uploadSweepIntervalMs?: number;
  /** For `finishedAt`. Expiry follows the wall clock, as @tus/server reads it. */
  clock: Clock;
  onUpload(upload: FinishedUpload): void;
  onRejected(event: UploadRejectedEvent): void;
  onExpired(event: UploadExpiredEvent): void;
  onError(error: unknown, method: string, path: string): void;
}

/** What @tus/server answers when a hook throws: it reads `status_code` and `body`. */
class TusRefusal extends Error {
  constructor(
    readonly status_code: number,
    readonly body: string,
  ) {
    super(body.trim());
    this.name = 'TusRefusal';
  }
}

/**
 * tus 1.0 at `/files/`, served by @tus/server with @tus/file-store (extensions: creation,
 * creation-with-upload, creation-defer-length, termination, expiration). Adds what lifeline needs around it:
 * a SHA-256 check of every finished upload against `Upload-Metadata` `sha256`, a durable record of finished
 * uploads, and removal of expired unfinished ones.
 *
 * On disk: `<directory>/<id>` holds the bytes (its size is the upload's offset), `<directory>/<id>.json`
 * @tus/file-store's info (length, metadata, creation date). Bytes of unfinished uploads are not fsynced per
 * PATCH (the store does not): after power loss a client's HEAD may report a smaller offset, and it resends
 * from there. A finished upload is fsynced, then recorded, then acknowledged. An upload that completed on
 * disk but whose record a crash prevented is checked and recorded by `open()`.
 */
export class TusEndpoint {
  /** `<dataDir>/files`: `<id>` holds an upload's bytes, `<id>.json` @tus/file-store's info. */
  readonly directory: string;
  readonly maxUploadBytes: number;
  readonly uploadExpirationMs: number;
  readonly sweepIntervalMs: number;
  private readonly log: UploadLog;
  private tus: TusServer | undefined;
  private store: FileStore | undefined;
  private sweepTimer: ReturnType<typeof setInterval> | undefined;
  private sweeping: Promise<string[]> | undefined;
  /** How far PATCH bodies are read ahead of @tus/server, each and all together. */
  private readonly readAhead = new ReadAheadBudget();

  constructor(private readonly options: TusEndpointOptions) {
    const check = (name: string, value: number) => requireInteger('createServer', name, value, 1);
    this.directory = join(options.dataDir, UPLOADS_DIRECTORY);
    this.maxUploadBytes = check('maxUploadBytes', options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES);
    this.uploadExpirationMs = check(
      'uploadExpirationMs',
      options.uploadExpirationMs ?? DEFAULT_UPLOAD_EXPIRATION_MS,
    );
    const sweepByDefault = Math.min(
      Math.max(this.uploadExpirationMs, MIN_SWEEP_INTERVAL_MS),
      MAX_SWEEP_INTERVAL_MS,
    );
    this.sweepIntervalMs = check('uploadSweepIntervalMs', options.uploadSweepIntervalMs ?? sweepByDefault);
    this.log = new UploadLog(join(options.dataDir, UPLOAD_LOG_FILE), this.directory);
  }

  /** Routes every method on `/files` and `/files/*` to tus. */
  mount(router: Router): void {
    const handler = (context: RouteContext) => this.handle(context);
    router.add('*', TUS_PATH, handler);
    router.add('*', `${TUS_PATH}/*`, handler);
  }

  /** Creates the directory, reads the record, checks uploads a crash left complete but unrecorded. */
  async open(): Promise<void> {
    const { directory, maxUploadBytes, uploadExpirationMs, sweepIntervalMs } = this;
    ensureDirectory(directory);
    await this.log.load();
    const store = new FileStore({ directory, expirationPeriodInMilliseconds: uploadExpirationMs });
    this.store = store;
    this.tus = new TusServer({
      path: TUS_PATH,
      datastore: store,
      maxSize: maxUploadBytes,
      // `/files/<id>`: right behind any proxy (the chaos proxy, a reverse proxy) without trusting Host or
      // Forwarded headers. tus clients resolve it against the creation URL.
      relativeLocation: true,
      // What was received stays received (and its record stays true): only unfinished uploads can be
      // terminated by a client.
      disableTerminationForFinishedUploads: true,
      onUploadCreate: async (_req, upload) => ({ metadata: checkedMetadata(upload.metadata) }),
      onUploadFinish: async (_req, upload) => {
        await this.finish(upload);
        return {};
      },
      onResponseError: (req, error) => {
        const status = 'status_code' in error ? error.status_code : 500;
        if (status >= 500) {
          // @tus/server's own errors are plain { status_code, body } objects.
          const reported = error instanceof Error ? error : new Error(`tus: ${error.body.trim()}`);
          this.options.onError(reported, req.method, new URL(req.url).pathname);
        }
        return undefined;
      },
    });
    await this.recover(store);
    this.sweepTimer = setInterval(() => {
      this.removeExpired().catch((error: unknown) => this.options.onError(error, 'SWEEP', TUS_PATH));
    }, sweepIntervalMs);
    this.sweepTimer.unref();
  }

  /** Stops the sweep (waiting for one in progress); requests that arrive afterwards get 503. */
  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    await this.sweeping?.catch(() => {});
    this.tus = undefined;
    this.store = undefined;
  }

  /** Finished uploads, oldest first (what was recorded, also after `close()`). */
  uploads(): FinishedUpload[] {
    return this.log.list();
  }

  /**
   * Deletes unfinished uploads past their expiry (bytes and info) and returns their ids. Runs by itself
   * every `sweepIntervalMs`; until an expired upload is deleted, tus already answers 410 for it. Finished
   * uploads are never removed.
   * (@tus/file-store's own `deleteExpired` is not used: it reads the offset from the info file, where it
   * stays 0, and so deletes finished uploads too.)
   */
  removeExpired(): Promise<string[]> {
    const store = this.store;
    if (!store) return Promise.resolve([]);
    if (!this.sweeping) {
      this.sweeping = this.sweep(store).finally(() => {
        this.sweeping = undefined;
      });
    }
    return this.sweeping;
  }

  private handle({ req, res, params }: RouteContext): Promise<void> {
    if (params['*']?.includes('/'))
      throw new HttpError(404, 'not_found', `no upload here: uploads are ${TUS_PATH}/<id>`);
    const tus = this.tus;
    if (!tus) throw HttpError.notRunning();
    // A PATCH keeps every byte that arrived, also when its connection drops (see keptBodyRequest).
    if (req.method === 'PATCH') {
      const { request, release } = keptBodyRequest(req, this.readAhead);
      return tus
        .handleWeb(request)
        .then((response) => sendWebResponse(res, response))
        .finally(release);
    }
    return tus.handle(req, res);
  }

  /**
   * Hashes the finished upload and compares the hash with the declared one. Intact (or nothing declared):
   * fsync, record, emit `upload`. Not intact: delete it, emit `rejected`, and refuse the request with 460.
   */
  private async finish(upload: Upload): Promise<void> {
    const { directory } = this;
    if (this.log.has(upload.id)) return;
    const path = join(directory, upload.id);
    const metadata = upload.metadata ?? {};
    const filename = metadata.filename ?? undefined;
    const size = upload.size ?? upload.offset;
    const { sha256: actual } = await sha256File(path);
    const declared = metadata[SHA256_METADATA_KEY];
    const expected = typeof declared === 'string' ? declared.toLowerCase() : undefined;
    if (expected !== undefined && expected !== actual) {
      await this.store?.remove(upload.id);
      this.options.onRejected({
        id: upload.id,
        ...(filename === undefined ? {} : { filename }),
        size,
        expected,
        actual,
      });
      throw new TusRefusal(
        CHECKSUM_MISMATCH_STATUS,
        `Checksum Mismatch: the SHA-256 of the bytes received does not match Upload-Metadata sha256: expected ` +
          `${expected}, got ${actual}. The upload was deleted; create a new upload and send the file again.\n`,
      );
    }
    await syncFile(path, directory);
    const finished: FinishedUpload = {
      id: upload.id,
      ...(filename === undefined ? {} : { filename }),
      size,
      sha256: actual,
      verified: expected !== undefined,
      finishedAt: new Date(this.options.clock.now()).toISOString(),
      path,
      metadata: { ...metadata },
    };
    await this.log.append(finished);
    this.options.onUpload(finished);
  }

  /** Uploads complete on disk but not recorded (a crash between the last byte and the record): finish them. */
  private async recover(store: FileStore): Promise<void> {
    for (const id of await listIds(store)) {
      if (this.log.has(id)) continue;
      try {
        const upload = await store.getUpload(id);
        if (upload.size !== undefined && upload.offset === upload.size) await this.finish(upload);
      } catch (error) {
        if (error instanceof TusRefusal) continue; // reported as rejected, and deleted
        if (error !== ERRORS.FILE_NO_LONGER_EXISTS)
          this.options.onError(error, 'RECOVER', `${TUS_PATH}/${id}`);
      }
    }
  }

  private async sweep(store: FileStore): Promise<string[]> {
    const expirationMs = store.getExpiration();
    const removed: string[] = [];
    for (const id of await listIds(store)) {
      if (this.log.has(id)) continue;
      let upload: Upload;
      try {
        upload = await store.getUpload(id);
      } catch {
        continue; // removed meanwhile, or half-removed: nothing to expire
      }
      const unfinished = upload.size === undefined || upload.offset < upload.size;
      const createdMs = upload.creation_date ? Date.parse(upload.creation_date) : Number.NaN;
      if (!unfinished || !(Date.now() > createdMs + expirationMs)) continue;
      try {
        await store.remove(id);
      } catch {
        continue; // terminated by its client meanwhile
      }
      removed.push(id);
      const filename = upload.metadata?.filename ?? undefined;
      this.options.onExpired({
        id,
        ...(filename === undefined ? {} : { filename }),
        offset: upload.offset,
        ...(upload.size === undefined ? {} : { size: upload.size }),
      });
    }
    return removed;
  }
}

async function listIds(store: FileStore): Promise<string[]> {
  return (await store.configstore.list?.()) ?? [];
}

/** `sha256`, when present, must be 64 hex digits (stored lowercase); anything else is refused at creation. */
function checkedMetadata(metadata: Upload['metadata']): Upload['metadata'] {
  if (!metadata || !(SHA256_METADATA_KEY in metadata)) return metadata;
  const value = metadata[SHA256_METADATA_KEY];
  if (typeof value !== 'string' || !SHA256_HEX.test(value)) {
    throw new TusRefusal(
      400,
      'Upload-Metadata sha256 must be the SHA-256 of the whole file as 64 hex digits (base64-encoded like ' +
        `every Upload-Metadata value); got ${value === null ? 'no value' : `'${value.slice(0, 80)}'`}\n`,
    );
  }
  return { ...metadata, [SHA256_METADATA_KEY]: value.toLowerCase() };
}
