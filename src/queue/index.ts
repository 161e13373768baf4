export type { QueueEvents, SyncSummary } from './events.js';
export type { Handler, HandlerContext } from './handler.js';
export {
  DEFAULT_SENSITIVE_HEADERS,
  type HttpOperation,
  type HttpOperationResult,
  httpHandler,
  httpOperation,
} from './http-operation.js';
export type { ConcurrencyAdvice, LinkStatus } from './link.js';
export { MemoryQueueStore } from './memory-store.js';
export {
  OperationQueue,
  type OperationQueueOptions,
  type QueueStatus,
  type RunHandle,
} from './operation-queue.js';
export { decideOutcome, type Outcome } from './outcome.js';
export type { AheadOutcome, ClaimRequest, QueueStore, Recovery } from './store.js';
export type {
  EnqueueOptions,
  ItemError,
  ItemStatus,
  ListFilter,
  NewItem,
  QueueCounts,
  QueueItem,
} from './types.js';
