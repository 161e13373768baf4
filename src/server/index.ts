/**
 * lifeline/server — the embedded receiving server: operations with idempotency, health, and pushback
 * on demand for tests and demos. Node only.
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
