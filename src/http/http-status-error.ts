import type { Failure } from '../core/failure.js';

/**
 * A response with a retryable status (503, 429…), thrown inside resilientFetch so retry and breaker
 * see it. It never reaches the caller: when retries run out, the caller gets the last response itself.
 */
export class HttpStatusError extends Error {
  readonly status: number;
  readonly headers: Headers;

  constructor(
    readonly response: Response,
    readonly failure: Failure,
  ) {
    super(failure.message);
    this.name = 'HttpStatusError';
    this.status = response.status;
    this.headers = response.headers;
  }
}
