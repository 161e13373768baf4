import { InvalidOptionError } from '../core/errors.js';
import { uuidV7 } from '../core/uuid-v7.js';
import { requireInteger } from '../core/validate.js';
import type { EnqueueOptions, NewItem } from './types.js';

const KIND = /^[A-Za-z0-9._-]{1,64}$/;

/** A kind names a handler and shows in `lifeline queue list`: short, and plain characters only. */
export function checkKind(kind: string): void {
  if (typeof kind !== 'string' || !KIND.test(kind)) {
    throw new InvalidOptionError(
      `OperationQueue: kind '${kind}' must be 1–64 letters, digits, '.', '_' or '-'`,
    );
  }
}

/**
 * An operation checked and made ready to store: its payload as JSON (refused if it is not), an integer
 * priority, and an idempotency key (the caller's, or a UUIDv7 of `nowMs`).
 */
export function newItem(
  kind: string,
  payload: unknown,
  options: EnqueueOptions,
  nowMs: number,
  defaultMaxAttempts: number,
): NewItem {
  checkKind(kind);
  let payloadJson: string;
  try {
    payloadJson = JSON.stringify(payload ?? null);
  } catch (error) {
    throw new InvalidOptionError(
      `OperationQueue: the payload of a '${kind}' operation must be JSON (${(error as Error).message})`,
    );
  }
  const priority = options.priority ?? 0;
  if (!Number.isInteger(priority))
    throw new InvalidOptionError(`OperationQueue: priority must be an integer, got ${priority}`);
  return {
    kind,
    payload,
    priority,
    idempotencyKey: options.idempotencyKey ?? uuidV7(nowMs),
    generatedKey: options.idempotencyKey === undefined,
    payloadJson,
    maxAttempts: requireInteger(
      'OperationQueue',
      'maxAttempts',
      options.maxAttempts ?? defaultMaxAttempts,
      1,
    ),
    nextAttemptAtMs: options.notBefore ?? nowMs,
    createdAtMs: nowMs,
  };
}
