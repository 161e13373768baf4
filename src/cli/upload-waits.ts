import { FileSource } from '../node/file-source.js';
import type { UploadOperation } from '../node/upload-operation.js';
import type { QueueItem } from '../queue/types.js';
import type { NotedWait, UploadStateStore, UploadWait } from '../transfer/upload-state-store.js';
import { clockTime } from './output.js';

/**
 * What running uploads wait for while no byte moves, as the upload handler noted it in the state store
 * (`noteWait`): the link, or the next try after a failure. Shared by `uploads` and `queue list`, so both
 * say the same of the same item.
 */
export class UploadWaits {
  private constructor(private readonly noted: readonly NotedWait[]) {}

  /** Reads the noted waits once; a store without `waits` (a user's own) has none. */
  static async read(store: UploadStateStore): Promise<UploadWaits> {
    return new UploadWaits((await store.waits?.()) ?? []);
  }

  /** The wait noted for this file (its fingerprint) and endpoint, if any. */
  find(fingerprint: string, endpoint: string): UploadWait | undefined {
    const noted = this.noted.find((w) => w.fingerprint === fingerprint && w.endpoint === endpoint);
    if (!noted) return undefined;
    const { fingerprint: _f, endpoint: _e, ...wait } = noted;
    return wait;
  }

  /** The wait of an upload item that is running; opens its file for the fingerprint. */
  async forItem(item: QueueItem): Promise<UploadWait | undefined> {
    if (item.kind !== 'upload' || item.status !== 'running' || this.noted.length === 0) return undefined;
    const operation = item.payload as UploadOperation;
    const source = await FileSource.open(operation.path).catch(() => undefined);
    await source?.close();
    return source && this.find(source.fingerprint, operation.endpoint);
  }
}

/** "waiting for the link since 12:03:01", "retry 2 at 12:03:07, after: connection refused (…)". */
export function waitText(wait: UploadWait, nowMs = Date.now()): string {
  if (wait.for === 'link') return `waiting for the link since ${clockTime(new Date(wait.sinceMs))}`;
  const when =
    wait.retryAtMs !== undefined && wait.retryAtMs > nowMs
      ? ` at ${clockTime(new Date(wait.retryAtMs))}`
      : '';
  return `retry ${wait.retries}${when}, after: ${wait.reason ?? 'a failure'}`;
}
