import { onAbort } from '../core/abort.js';
import { type Classifier, classify as defaultClassify } from '../core/classify.js';
import { type Clock, realClock, type Timer } from '../core/clock.js';
import { requireInteger, requireNumber } from '../core/validate.js';
import { type BaseContext, SignalContext } from './context.js';
import { type Done, LayeredPolicy, type Next } from './layer.js';
import type { ClockOption } from './policy.js';

export interface HedgeOptions extends ClockOption {
  /** Start another attempt when the current ones have not answered after this long. */
  delayMs: number;
  /** Extra attempts beyond the first. Default 1. */
  maxHedges?: number;
  classify?: Classifier;
}

export interface HedgeEvents {
  /** Another attempt started: after the delay, or at once because an attempt failed retryably. */
  hedge: { attempt: number; afterFailure: boolean };
}

/**
 * Hedging: when the first attempt is slow, race a second one; the first success wins and the others are
 * aborted through their signals. Only for idempotent work — both attempts may reach the server.
 * A retryable failure starts the next attempt at once; a non-retryable one ends the race with that error.
 */
export class HedgePolicy extends LayeredPolicy<HedgeEvents> {
  readonly delayMs: number;
  readonly maxHedges: number;
  /** @internal */ readonly clock: Clock;
  /** @internal */ readonly classify: Classifier;

  constructor(options: HedgeOptions) {
    super();
    this.delayMs = requireNumber('hedge', 'delayMs', options?.delayMs, 0);
    this.maxHedges = requireInteger('hedge', 'maxHedges', options.maxHedges ?? 1, 0);
    this.clock = options.clock ?? realClock;
    this.classify = options.classify ?? defaultClassify;
  }

  run(next: Next, context: BaseContext, done: Done): void {
    new HedgedCall(this, next, context, done).start();
  }

  /** @internal */
  hedged(attempt: number, afterFailure: boolean): void {
    if (this.listening('hedge')) this.emit('hedge', { attempt, afterFailure });
  }
}

/** One call's race of attempts. */
class HedgedCall {
  private readonly controllers: AbortController[] = [];
  private running = 0;
  private finished = false;
  private timer: Timer | undefined;
  private detachCaller: () => void = () => {};

  constructor(
    private readonly policy: HedgePolicy,
    private readonly next: Next,
    private readonly context: BaseContext,
    private readonly done: Done,
  ) {}

  start(): void {
    this.detachCaller = onAbort(this.context.signal, (reason) => this.finish(true, reason));
    if (!this.finished) this.launch(false);
  }

  private launch(afterFailure: boolean): void {
    this.timer?.cancel();
    const controller = new AbortController();
    this.controllers.push(controller);
    const attempt = this.controllers.length;
    this.running++;
    if (attempt > 1) this.policy.hedged(attempt, afterFailure);
    if (this.canLaunchMore())
      this.timer = this.policy.clock.setTimer(() => this.launch(false), this.policy.delayMs);
    this.next(new SignalContext(controller.signal, attempt), (failed, result) => {
      this.running--;
      if (this.finished) return;
      // The winner keeps its signal: its response body may still be streaming.
      if (!failed) return this.finish(false, result, controller);
      let retryable: boolean;
      try {
        retryable = this.policy.classify(result).retryable;
      } catch (classifyError) {
        return this.finish(true, classifyError);
      }
      if (!retryable) this.finish(true, result);
      else if (this.canLaunchMore()) this.launch(true);
      else if (this.running === 0) this.finish(true, result);
    });
  }

  private canLaunchMore(): boolean {
    return this.controllers.length <= this.policy.maxHedges;
  }

  private finish(failed: boolean, result: unknown, winner?: AbortController): void {
    if (this.finished) return;
    this.finished = true;
    this.timer?.cancel();
    this.detachCaller();
    const lost =
      failed && winner === undefined ? result : new DOMException('another hedged attempt won', 'AbortError');
    for (const controller of this.controllers) {
      if (controller !== winner && !controller.signal.aborted) controller.abort(lost);
    }
    this.done(failed, result);
  }
}

export function hedge(options: HedgeOptions): HedgePolicy {
  return new HedgePolicy(options);
}
