import { onAbort } from '../core/abort.js';
import { BulkheadFullError } from '../core/errors.js';
import { requireInteger } from '../core/validate.js';
import type { BaseContext } from './context.js';
import { type Done, LayeredPolicy, type Next } from './layer.js';

export interface BulkheadOptions {
  /** Calls that may run at once. */
  maxConcurrent: number;
  /** Calls that may wait for a slot; more are rejected with BULKHEAD_FULL. Default 0: reject at once. */
  maxQueued?: number;
}

export interface BulkheadEvents {
  rejected: { executing: number; queued: number };
  queued: { executing: number; queued: number };
}

interface Waiter {
  next: Next;
  context: BaseContext;
  done: Done;
  detach: () => void;
}

/** Limits how many calls run at once, so one slow dependency cannot take every resource. */
export class Bulkhead extends LayeredPolicy<BulkheadEvents> {
  readonly maxConcurrent: number;
  readonly maxQueued: number;
  private running = 0;
  private readonly waiting: Waiter[] = [];

  constructor(options: BulkheadOptions) {
    super();
    this.maxConcurrent = requireInteger('bulkhead', 'maxConcurrent', options?.maxConcurrent, 1);
    this.maxQueued = requireInteger('bulkhead', 'maxQueued', options.maxQueued ?? 0, 0);
  }

  /** Calls running now. */
  get executing(): number {
    return this.running;
  }

  /** Calls waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  run(next: Next, context: BaseContext, done: Done): void {
    if (this.running < this.maxConcurrent) {
      this.enter(next, context, done);
      return;
    }
    if (this.waiting.length >= this.maxQueued) {
      if (this.listening('rejected'))
        this.emit('rejected', { executing: this.running, queued: this.waiting.length });
      done(true, new BulkheadFullError(this.maxConcurrent, this.maxQueued));
      return;
    }
    const signal = context.signal;
    if (signal.aborted) {
      done(true, signal.reason);
      return;
    }
    const waiter: Waiter = { next, context, done, detach: () => {} };
    waiter.detach = onAbort(signal, (reason) => {
      const index = this.waiting.indexOf(waiter);
      if (index >= 0) this.waiting.splice(index, 1);
      done(true, reason);
    });
    this.waiting.push(waiter);
    if (this.listening('queued'))
      this.emit('queued', { executing: this.running, queued: this.waiting.length });
  }

  private enter(next: Next, context: BaseContext, done: Done): void {
    this.running++;
    next(context, (failed, result) => {
      this.running--;
      const waiter = this.waiting.shift();
      if (waiter) {
        waiter.detach();
        this.enter(waiter.next, waiter.context, waiter.done);
      }
      done(failed, result);
    });
  }
}

export function bulkhead(options: BulkheadOptions): Bulkhead {
  return new Bulkhead(options);
}
