export { HttpStatusError } from './http-status-error.js';
export type {
  LifelineRequestOptions,
  RequestSettings,
  ResilientFetchOptions,
  ResilientRequestInit,
} from './options.js';
export { PushbackGate } from './pushback-gate.js';
export { IDEMPOTENCY_HEADER, IDEMPOTENT_METHODS } from './request-plan.js';
export { createFetch, type HttpEvents, type ResilientFetch, resilientFetch } from './resilient-fetch.js';
