import { NEVER_ABORTED } from '../core/abort.js';
import type { ExecuteOptions, PolicyContext } from './policy.js';

/**
 * Contexts made by lifeline policies. They are passed through unchanged when a policy has nothing to add,
 * so a pipeline allocates nothing per layer on the success path: options from a caller and contexts from an
 * outer policy share one shape, and `contextFrom` recognises ours without touching a (possibly lazy) signal.
 */
export abstract class BaseContext implements PolicyContext {
  abstract readonly signal: AbortSignal;
  abstract readonly attempt: number;
  /**
   * The signal a caller can abort, without creating one that does not exist yet (a lazy timeout's).
   * Used to decide whether to listen for cancellation at all.
   */
  abstract peekSignal(): AbortSignal;
}

/** A context that is just a signal and an attempt number. */
export class SignalContext extends BaseContext {
  constructor(
    readonly signal: AbortSignal,
    readonly attempt: number,
  ) {
    super();
  }
  peekSignal(): AbortSignal {
    return this.signal;
  }
}

const ROOT_CONTEXT = new SignalContext(NEVER_ABORTED, 1);

export function contextFrom(options: ExecuteOptions | PolicyContext | undefined): BaseContext {
  if (options === undefined) return ROOT_CONTEXT;
  if (options instanceof BaseContext) return options;
  const attempt = (options as Partial<PolicyContext>).attempt;
  return new SignalContext(options.signal ?? NEVER_ABORTED, typeof attempt === 'number' ? attempt : 1);
}

/**
 * A context with a new attempt number whose signal is read from the parent only when someone asks:
 * an outer timeout creates its AbortController lazily, and this must not force it.
 */
export class AttemptContext extends BaseContext {
  constructor(
    private readonly parent: BaseContext,
    readonly attempt: number,
  ) {
    super();
  }
  get signal(): AbortSignal {
    return this.parent.signal;
  }
  peekSignal(): AbortSignal {
    return this.parent.peekSignal();
  }
}
