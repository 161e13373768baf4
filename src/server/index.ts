/**
 * lifeline/server — the embedded receiving server: operations with idempotency, health, resumable uploads
 * (tus 1.0 at /files/, SHA-256 checked), and pushback on demand for tests and demos. Node only.
 */
export { HttpError } from './http-io.js';
export { ListenError } from './listen-error.js';
export { KIND_PATTERN, type OperationEvent, type PushbackEvent } from './ops-routes.js';
export {
  type AppliedOperation,
  type OperationFilter,
  SERVER_SCHEMA,
  type StoredOperation,
} from './ops-store.js';
export type { PushbackOptions } from './pushback.js';
export { type RouteContext, type RouteHandler, Router } from './router.js';
export {
  createServer,
  DEFAULT_HOST,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_PORT,
  LifelineServer,
  type ServerEvents,
  type ServerOptions,
} from './server.js';
export {
  RELAYED_EVENTS,
  type RelayedEvent,
  SERVER_THREAD_V8_FLAGS,
  ServerThread,
  type ServerThreadInfo,
  type ServerThreadOptions,
  startServerThread,
} from './server-thread.js';
export {
  CHECKSUM_MISMATCH_STATUS,
  DEFAULT_MAX_UPLOAD_BYTES,
  DEFAULT_UPLOAD_EXPIRATION_MS,
  SHA256_METADATA_KEY,
  TUS_PATH,
  type UploadExpiredEvent,
  type UploadRejectedEvent,
} from './tus-routes.js';
export type { FinishedUpload } from './upload-log.js';
