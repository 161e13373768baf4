import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { formatBytes, parseBytesPerSecond } from '../core/units.js';
import { FileSource, SourceMissingError } from '../node/file-source.js';
import type { Runtime } from '../node/runtime.js';
import { tusEndpoint, type UploadOperation, uploadOperation } from '../node/upload-operation.js';
import type { QueueItem } from '../queue/types.js';
import { parsePriority } from './command.js';
import { endedHolder, endedHolderText } from './describe-item.js';

export interface QueuedUpload {
  item: QueueItem;
  /** False when this exact file (same path, size and time) was already queued or sent to this endpoint. */
  fresh: boolean;
  size: number;
  /** For an item queued before, the settings it keeps that differ from the ones asked for now. */
  keptSettings?: string;
}

/**
 * The file as it is now (path, size, time), if it can be uploaded: refused now, not when the agent gets to
 * it, since a missing or unreadable file would only go dead later (SourceMissingError).
 */
export async function openUploadable(path: string): Promise<FileSource> {
  const source = await FileSource.open(path);
  await source.close();
  await access(source.path, constants.R_OK).catch((error: unknown) => {
    throw new SourceMissingError(source.path, error);
  });
  return source;
}

/**
 * Queues a file for upload. The idempotency key is the file's fingerprint and the endpoint, so the same
 * unchanged file is queued once however often it is offered (a restarted `watch`, a repeated `send`), and
 * a changed file gets a new item.
 */
export async function queueUpload(
  runtime: Runtime,
  file: string | FileSource,
  options: { endpoint: string; priority: number; bytesPerSecond?: number },
): Promise<QueuedUpload> {
  const source = typeof file === 'string' ? await openUploadable(file) : file; // a source: checked already
  const operation = uploadOperation(source.path, options.endpoint, {
    ...(options.bytesPerSecond === undefined ? {} : { bytesPerSecond: options.bytesPerSecond }),
  });
  const idempotencyKey = `upload:${source.fingerprint}:${operation.endpoint}`;
  const { item, inserted: fresh } = await runtime.queue.offer('upload', operation, {
    priority: options.priority,
    idempotencyKey,
  });
  if (fresh) await dropSuperseded(runtime, item);
  const keptSettings = fresh ? undefined : settingsKept(item, options);
  return { item, fresh, size: source.size, ...(keptSettings ? { keptSettings } : {}) };
}

/** What an item queued before keeps of its own settings, where this request asked for others. */
function settingsKept(
  item: QueueItem,
  asked: { priority: number; bytesPerSecond?: number },
): string | undefined {
  if (item.status === 'completed') return undefined;
  const limit = (bytesPerSecond: number | undefined) =>
    bytesPerSecond === undefined ? 'no limit' : `a limit of ${formatBytes(bytesPerSecond)}/s`;
  const kept: string[] = [];
  if (item.priority !== asked.priority) kept.push(`priority ${item.priority}`);
  const queuedLimit = (item.payload as UploadOperation).bytesPerSecond;
  if (queuedLimit !== asked.bytesPerSecond) kept.push(limit(queuedLimit));
  return kept.length === 0 ? undefined : kept.join(' and ');
}

/** `--to`, checked before anything is queued (a bad one is bad usage, exit 2). */
export function endpointFlag(to: string | undefined): string | undefined {
  return to === undefined ? undefined : tusEndpoint(to, '--to');
}

/**
 * Removes pending uploads of the same file to the same endpoint, queued before the file changed: an
 * upload sends the file as it is when it runs, so each would send the new content again. Removed only
 * after the new item is stored, so a crash in between leaves the file queued. One already running is left
 * alone.
 */
async function dropSuperseded(runtime: Runtime, item: QueueItem): Promise<void> {
  const { path, endpoint } = item.payload as UploadOperation;
  // Only older ones: two versions queued at once must not remove each other.
  for (const older of await pendingUploadsOf(runtime, path, endpoint))
    if (older.id < item.id) await runtime.queue.remove(older.id);
}

/** The pending uploads of the file at `path` to `endpoint`. */
async function pendingUploadsOf(runtime: Runtime, path: string, endpoint: string): Promise<QueueItem[]> {
  const pending = await runtime.queue.list({ kind: 'upload', status: 'pending', limit: 100_000 });
  return pending.filter((item) => {
    const payload = item.payload as UploadOperation;
    return payload.path === path && payload.endpoint === endpoint;
  });
}

/** Removes the pending uploads of `path` to `endpoint` (its file is gone); returns their ids. */
export async function withdrawUploads(runtime: Runtime, path: string, endpoint: string): Promise<number[]> {
  const withdrawn: number[] = [];
  for (const item of await pendingUploadsOf(runtime, path, endpoint))
    if (await runtime.queue.remove(item.id)) withdrawn.push(item.id);
  return withdrawn;
}

/** Reads --limit and --priority the way send and watch both take them. */
export function uploadFlags(values: { limit?: string | undefined; priority?: string | undefined }): {
  priority: number;
  bytesPerSecond?: number;
} {
  return {
    priority: parsePriority(values.priority),
    ...(values.limit === undefined ? {} : { bytesPerSecond: parseBytesPerSecond(values.limit, '--limit') }),
  };
}

export function describeQueued(queued: QueuedUpload, name: string): string {
  const what = `#${queued.item.id} ${name} (${formatBytes(queued.size)})`;
  if (queued.fresh) return `queued ${what}`;
  if (queued.item.status === 'completed')
    return `already sent ${what}; to send it again: lifeline queue remove ${queued.item.id}, then send it`;
  const endedPid = endedHolder(queued.item);
  const state = endedPid === undefined ? queued.item.status : endedHolderText(endedPid);
  const change =
    queued.item.status === 'running' && endedPid === undefined
      ? 'it is being sent now'
      : `to change them: lifeline queue remove ${queued.item.id}, then send it again`;
  const kept = queued.keptSettings ? `; it keeps ${queued.keptSettings} (${change})` : '';
  return `already queued ${what}, ${state}${kept}`;
}
