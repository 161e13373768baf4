import type { QueueEvents } from './events.js';
import type { AttemptOutcome } from './handler.js';

interface Waiter {
  resolve(result: unknown): void;
  reject(error: unknown): void;
}

/** Callers of `run()` waiting for an item to complete (or die), settled from the queue's events. */
export class RunWaiters {
  private readonly byId = new Map<number, Waiter[]>();

  waitFor<Result>(id: number): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      const list = this.byId.get(id) ?? [];
      list.push({ resolve: resolve as (result: unknown) => void, reject });
      this.byId.set(id, list);
    });
  }

  observe<K extends keyof QueueEvents>(name: K, event: QueueEvents[K]): void {
    if (name === 'completed') {
      const { item, result } = event as QueueEvents['completed'];
      this.settle(item.id, { status: 'completed', result });
    } else if (name === 'dead') {
      const { item, reason } = event as QueueEvents['dead'];
      this.settle(item.id, {
        status: 'dead',
        reason,
        error: new Error(`item ${item.id} is dead: ${reason}`),
      });
    }
  }

  settle(id: number, outcome: AttemptOutcome): void {
    const list = this.byId.get(id);
    if (!list) return;
    this.byId.delete(id);
    for (const waiter of list) {
      if (outcome.status === 'completed') waiter.resolve(outcome.result);
      else if (outcome.status === 'dead') waiter.reject(outcome.error);
    }
  }
}
