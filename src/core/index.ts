export { isAbortError, linkedController, NEVER_ABORTED, onAbort } from './abort.js';
export {
  type Classifier,
  type ClassifierOptions,
  type ClassifyRule,
  classify,
  createClassifier,
} from './classify.js';
export { type Clock, realClock, sleepWith, type Timer } from './clock.js';
export {
  BodyNotReplayableError,
  BudgetExhaustedError,
  BulkheadFullError,
  CircuitOpenError,
  type FailureTraits,
  InvalidOptionError,
  LifelineError,
  type LifelineErrorCode,
  RateLimitedError,
  RetryAfterTooLongError,
  StoreError,
  TimeoutError,
} from './errors.js';
export { Emitter, type EventSource, type Listener, type Unsubscribe } from './events.js';
export { FAILURE_KINDS, type Failure, type FailureKind, KIND_DEFAULTS } from './failure.js';
export { FakeClock } from './fake-clock.js';
export { formatDuration, plural } from './format.js';
export { type Random, seededRandom } from './random.js';
export { type HeaderSource, parseRateLimitReset, parseRetryAfter, serverNamedWaitMs } from './retry-after.js';
export { formatBytes, parseBytes, parseBytesPerSecond, parseDurationMs } from './units.js';
