import { formatDuration, plural } from '../core/format.js';
import type { GiveUpEvent, RetryEvent, RetrySuccessEvent } from './retry.js';

/** Renders retry events the way a person wants to read them. */

/** "Attempt 1 failed: connection reset — retrying in 1.0s (4 of 5 attempts left)" */
export function formatRetry(event: RetryEvent): string {
  const wait = event.serverNamedDelay
    ? `retrying in ${formatDuration(event.delayMs)}, as the server asked`
    : `retrying in ${formatDuration(event.delayMs)}`;
  return (
    `Attempt ${event.attempt} failed: ${event.failure.message} — ${wait} ` +
    `(${event.attemptsRemaining} of ${event.maxAttempts} attempts left)`
  );
}

/** "Gave up after 5 attempts: connection reset" / "Not retrying: HTTP 404 Not Found (permanent)" */
export function formatGiveUp(event: GiveUpEvent): string {
  const { failure } = event;
  switch (event.reason) {
    case 'not-retryable':
      return `Not retrying: ${failure.message} (${failure.kind})`;
    case 'cancelled':
      return `Cancelled after ${plural(event.attempts, 'attempt')}`;
    case 'max-attempts':
      return `Gave up after ${plural(event.attempts, 'attempt')}: ${failure.message}`;
    case 'max-elapsed':
      return `Gave up after ${plural(event.attempts, 'attempt')} in ${formatDuration(event.elapsedMs)} (time limit): ${failure.message}`;
    case 'budget-exhausted':
      return `Gave up after ${plural(event.attempts, 'attempt')}: retry budget exhausted, failures are widespread (${failure.message})`;
    case 'retry-after-too-long':
      return `Gave up: the server asked to wait ${formatDuration(failure.retryAfterMs ?? 0)}, longer than allowed (${failure.message})`;
  }
}

/** "Succeeded after 3 attempts in 5.2s" */
export function formatSuccess(event: RetrySuccessEvent): string {
  return `Succeeded after ${plural(event.attempts, 'attempt')} in ${formatDuration(event.elapsedMs)}`;
}
