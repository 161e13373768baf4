import type { ClaimRequest } from '../queue/store.js';
import {
  type ItemError,
  type ItemStatus,
  type NewItem,
  payloadJson,
  type QueueItem,
} from '../queue/types.js';

/** A row of the queue's `items` table, as better-sqlite3 returns it. */
export interface Row {
  id: number;
  kind: string;
  payload: string;
  priority: number;
  idempotency_key: string;
  status: ItemStatus;
  attempts: number;
  max_attempts: number;
  next_attempt_at: number;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
  last_error: string | null;
  dead_reason: string | null;
  result: string | null;
  owner: string | null;
  lease_until: number | null;
}

/**
 * What a claim reads of a pending row, as an array (a statement in raw mode): better-sqlite3 builds a row
 * object with named columns several times more slowly, and a claim is on every item's path. A pending row
 * has no completion, dead reason, result, owner or lease yet.
 */
export const CLAIM_COLUMNS =
  'id, kind, payload, priority, idempotency_key, attempts, max_attempts, next_attempt_at, created_at, last_error';
export type ClaimRow = [
  number,
  string,
  string,
  number,
  string,
  number,
  number,
  number,
  number,
  string | null,
];

/** The item as a claim leaves it: running for `owner`, one attempt more. */
export function claimedItem(
  row: ClaimRow,
  claim: Pick<ClaimRequest, 'owner' | 'leaseUntilMs' | 'nowMs'>,
): QueueItem {
  const [
    id,
    kind,
    payload,
    priority,
    idempotencyKey,
    attempts,
    maxAttempts,
    nextAttemptAtMs,
    createdAtMs,
    lastError,
  ] = row;
  const item: QueueItem = {
    id,
    kind,
    payload: JSON.parse(payload),
    priority,
    idempotencyKey,
    status: 'running',
    attempts: attempts + 1,
    maxAttempts,
    nextAttemptAtMs,
    createdAtMs,
    updatedAtMs: claim.nowMs,
    owner: claim.owner,
    leaseUntilMs: claim.leaseUntilMs,
  };
  if (lastError !== null) item.lastError = JSON.parse(lastError) as ItemError;
  return item;
}

export function toItem(row: Row): QueueItem {
  const item: QueueItem = {
    id: row.id,
    kind: row.kind,
    payload: JSON.parse(row.payload),
    priority: row.priority,
    idempotencyKey: row.idempotency_key,
    status: row.status,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    nextAttemptAtMs: row.next_attempt_at,
    createdAtMs: row.created_at,
    updatedAtMs: row.updated_at,
  };
  if (row.completed_at !== null) item.completedAtMs = row.completed_at;
  if (row.last_error !== null) item.lastError = JSON.parse(row.last_error) as ItemError;
  if (row.dead_reason !== null) item.deadReason = row.dead_reason;
  if (row.result !== null) item.result = JSON.parse(row.result);
  if (row.owner !== null) item.owner = row.owner;
  if (row.lease_until !== null) item.leaseUntilMs = row.lease_until;
  return item;
}

/**
 * A new item's values, in the order of both inserts (items and inbox): kind, payload, priority,
 * idempotency_key, max_attempts, next_attempt_at, created_at.
 */
export function newItemParams(fresh: NewItem): [string, string, number, string, number, number, number] {
  return [
    fresh.kind,
    payloadJson(fresh),
    fresh.priority,
    fresh.idempotencyKey,
    fresh.maxAttempts,
    fresh.nextAttemptAtMs,
    fresh.createdAtMs,
  ];
}
