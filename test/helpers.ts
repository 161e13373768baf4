/** Small helpers shared by the tests. */

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
