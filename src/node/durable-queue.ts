import { OperationQueue, type OperationQueueOptions } from '../queue/operation-queue.js';
import { isProcessOwnerAlive, processOwner } from './process-owner.js';
import { SqliteQueueStore, type SqliteQueueStoreOptions } from './sqlite-queue-store.js';

export interface DurableQueueOptions extends Omit<OperationQueueOptions, 'store'>, SqliteQueueStoreOptions {}

/**
 * An OperationQueue on a SQLite file (default `queue.db` in LIFELINE_HOME or ~/.lifeline), owned by this
 * process: items a crashed process left running go back to pending as soon as the queue starts.
 */
export function createDurableQueue(options: DurableQueueOptions = {}): OperationQueue {
  const { path, synchronous, busyTimeoutMs, ...queueOptions } = options;
  const store = new SqliteQueueStore({
    ...(path === undefined ? {} : { path }),
    ...(synchronous === undefined ? {} : { synchronous }),
    ...(busyTimeoutMs === undefined ? {} : { busyTimeoutMs }),
  });
  return new OperationQueue({
    owner: processOwner(),
    isOwnerAlive: isProcessOwnerAlive,
    ...queueOptions,
    store,
  });
}
