/** Small helpers shared by the tests. */
import type { NewItem } from '../src/queue/types.js';

export const transientError = (message = 'connection reset') =>
  Object.assign(new Error(message), { code: 'ECONNRESET' });

export const permanentError = () => Object.assign(new Error('Not Found'), { status: 404, headers: {} });

export const rateLimitedResponse = (retryAfter: string) =>
  new Response(null, { status: 429, headers: { 'retry-after': retryAfter } });

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Records how a promise settled, without an unhandled rejection, so a test can look at it later. */
export function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

/** A function that fails with the given errors in order, then returns `value`. */
export function failingThen<T>(errors: unknown[], value: T) {
  const calls: number[] = [];
  const fn = async ({ attempt }: { attempt: number }) => {
    calls.push(attempt);
    const error = errors[calls.length - 1];
    if (calls.length <= errors.length) throw error;
    return value;
  };
  return { fn, calls };
}

/**
 * A maker of NewItems for store tests: each has a unique key (`${keyPrefix}-N`) and its number as payload;
 * `generatedKey` marks the key as the queue's own unless the test chose a key (an override).
 */
export function newItems(defaults: Partial<NewItem> & { keyPrefix: string }) {
  const { keyPrefix, generatedKey = false, ...rest } = defaults;
  let keys = 0;
  return (overrides: Partial<NewItem> = {}): NewItem => ({
    kind: 'http',
    payload: { n: keys },
    priority: 0,
    idempotencyKey: `${keyPrefix}-${keys++}`,
    maxAttempts: 5,
    nextAttemptAtMs: 0,
    createdAtMs: 1000,
    ...rest,
    generatedKey: generatedKey && overrides.idempotencyKey === undefined,
    ...overrides,
  });
}
