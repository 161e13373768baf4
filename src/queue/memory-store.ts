import { recoveredOutOfAttempts } from './outcome.js';
import type { AheadOutcome, ClaimRequest, QueueStore, Recovery } from './store.js';
import {
  ITEM_STATUSES,
  type ItemError,
  type ItemStatus,
  type ListFilter,
  type NewItem,
  pendingItem,
  type QueueCounts,
  type QueueItem,
} from './types.js';

/**
 * A QueueStore in memory: for tests, and for programs that want the queue's scheduling without
 * persistence. It is the reference implementation of the store contract; nothing survives the process.
 */
export class MemoryQueueStore implements QueueStore {
  private readonly items = new Map<number, QueueItem>();
  private readonly byKey = new Map<string, number>();
  private nextId = 1;
  private paused = false;

  async insert(items: readonly NewItem[]) {
    return items.map((fresh) => {
      const existing = this.byKey.get(fresh.idempotencyKey);
      if (existing !== undefined)
        return { item: copy(this.items.get(existing) as QueueItem), inserted: false };
      const item = pendingItem(this.nextId++, { ...fresh, payload: structuredClone(fresh.payload) });
      this.items.set(item.id, item);
      this.byKey.set(item.idempotencyKey, item.id);
      return { item: copy(item), inserted: true };
    });
  }

  async claim(request: ClaimRequest): Promise<QueueItem[]> {
    const candidates = [...this.items.values()]
      .filter(
        (item) =>
          item.status === 'pending' &&
          request.kinds.includes(item.kind) &&
          (request.id === undefined || item.id === request.id) &&
          (request.ignoreSchedule === true || item.nextAttemptAtMs <= request.nowMs),
      )
      .sort(byPriority)
      .slice(0, request.limit);
    const startNow = request.startNow ?? candidates.length;
    return candidates.map((item, index) => {
      Object.assign(item, {
        status: 'running',
        attempts: item.attempts + (index < startNow ? 1 : 0),
        owner: request.owner,
        leaseUntilMs: request.leaseUntilMs,
        updatedAtMs: request.nowMs,
      });
      return { ...copy(item), attempts: item.attempts + (index < startNow ? 0 : 1) };
    });
  }

  async complete(id: number, owner: string, outcome: AheadOutcome & { nowMs: number; result?: unknown }) {
    return this.settle(id, owner, outcome, {
      status: 'completed',
      completedAtMs: outcome.nowMs,
      updatedAtMs: outcome.nowMs,
      ...(outcome.result === undefined ? {} : { result: structuredClone(outcome.result) }),
    });
  }

  async reschedule(
    id: number,
    owner: string,
    outcome: AheadOutcome & { nowMs: number; nextAttemptAtMs: number; error: ItemError },
  ) {
    return this.settle(id, owner, outcome, {
      status: 'pending',
      nextAttemptAtMs: outcome.nextAttemptAtMs,
      lastError: outcome.error,
      updatedAtMs: outcome.nowMs,
    });
  }

  async release(
    id: number,
    owner: string,
    outcome: AheadOutcome & { nowMs: number; nextAttemptAtMs?: number; error?: ItemError },
  ) {
    // Counted by the outcome, uncounted here: an item claimed ahead comes back as it was.
    const { nextAttemptAtMs, error } = outcome;
    return this.settle(
      id,
      owner,
      outcome,
      {
        status: 'pending',
        updatedAtMs: outcome.nowMs,
        ...(nextAttemptAtMs === undefined ? {} : { nextAttemptAtMs }),
        ...(error === undefined ? {} : { lastError: error }),
      },
      -1,
    );
  }

  async bury(
    id: number,
    owner: string,
    outcome: AheadOutcome & { nowMs: number; reason: string; error?: ItemError },
  ) {
    return this.settle(id, owner, outcome, {
      status: 'dead',
      deadReason: outcome.reason,
      updatedAtMs: outcome.nowMs,
      ...(outcome.error ? { lastError: outcome.error } : {}),
    });
  }

  async renew(ids: readonly number[], owner: string, leaseUntilMs: number) {
    for (const id of ids) {
      const item = this.items.get(id);
      if (item?.status === 'running' && item.owner === owner) item.leaseUntilMs = leaseUntilMs;
    }
  }

  async recover(nowMs: number, isOwnerAlive: (owner: string) => boolean, options: { lapsed?: boolean } = {}) {
    const recovery: Recovery = { requeued: 0, buried: [] };
    for (const item of this.items.values()) {
      if (item.status !== 'running') continue;
      const lapsed = options.lapsed !== false && (item.leaseUntilMs ?? 0) < nowMs;
      if (!lapsed && item.owner !== undefined && isOwnerAlive(item.owner)) continue;
      delete item.owner;
      delete item.leaseUntilMs;
      const deadReason = recoveredOutOfAttempts(item);
      if (deadReason !== undefined) {
        Object.assign(item, { status: 'dead', deadReason, updatedAtMs: nowMs });
        recovery.buried.push(copy(item));
      } else {
        Object.assign(item, { status: 'pending', updatedAtMs: nowMs });
        recovery.requeued++;
      }
    }
    return recovery;
  }

  async get(id: number) {
    const item = this.items.get(id);
    return item ? copy(item) : undefined;
  }

  async list(filter: ListFilter = {}) {
    const statuses = statusSet(filter.status);
    const offset = filter.offset ?? 0;
    return [...this.items.values()]
      .filter((item) => statuses.has(item.status) && (filter.kind === undefined || item.kind === filter.kind))
      .sort(byPriority)
      .slice(offset, offset + (filter.limit ?? 100))
      .map(copy);
  }

  async nextDueAtMs(): Promise<number | undefined> {
    let next: number | undefined;
    for (const item of this.items.values())
      if (item.status === 'pending' && (next === undefined || item.nextAttemptAtMs < next))
        next = item.nextAttemptAtMs;
    return next;
  }

  async counts(): Promise<QueueCounts> {
    const counts: QueueCounts = { pending: 0, running: 0, completed: 0, dead: 0, total: 0 };
    for (const item of this.items.values()) {
      counts[item.status]++;
      counts.total++;
      if (item.status !== 'pending') continue;
      counts.nextDueAtMs = Math.min(counts.nextDueAtMs ?? Number.POSITIVE_INFINITY, item.nextAttemptAtMs);
      counts.oldestPendingAtMs = Math.min(
        counts.oldestPendingAtMs ?? Number.POSITIVE_INFINITY,
        item.createdAtMs,
      );
    }
    return counts;
  }

  async remove(id: number) {
    const item = this.items.get(id);
    if (!item || item.status === 'running') return false;
    this.delete(item);
    return true;
  }

  async retryDead(nowMs: number, id?: number) {
    let count = 0;
    for (const item of this.items.values()) {
      if (item.status !== 'dead' || (id !== undefined && item.id !== id)) continue;
      Object.assign(item, { status: 'pending', attempts: 0, nextAttemptAtMs: nowMs, updatedAtMs: nowMs });
      delete item.deadReason;
      count++;
    }
    return count;
  }

  async clear(options: { includePending: boolean }) {
    const doomed: ItemStatus[] = options.includePending
      ? ['completed', 'dead', 'pending']
      : ['completed', 'dead'];
    return this.deleteWhere((item) => doomed.includes(item.status));
  }

  async purgeCompleted(beforeMs: number) {
    return this.deleteWhere((item) => item.status === 'completed' && (item.completedAtMs ?? 0) < beforeMs);
  }

  async readPaused() {
    return this.paused;
  }

  async writePaused(paused: boolean) {
    this.paused = paused;
  }

  async close() {}

  /** `attemptsDelta`: what the outcome does to the count beyond counting an attempt claimed ahead. */
  private settle(
    id: number,
    owner: string,
    outcome: AheadOutcome,
    changes: Partial<QueueItem>,
    attemptsDelta = 0,
  ): boolean {
    const item = this.items.get(id);
    if (item?.status !== 'running' || item.owner !== owner) return false;
    const attempts = Math.max(0, item.attempts + attemptsDelta + (outcome.claimedAhead ? 1 : 0));
    Object.assign(item, changes, { attempts });
    delete item.owner;
    delete item.leaseUntilMs;
    return true;
  }

  private deleteWhere(predicate: (item: QueueItem) => boolean): number {
    const doomed = [...this.items.values()].filter(predicate);
    for (const item of doomed) this.delete(item);
    return doomed.length;
  }

  private delete(item: QueueItem): void {
    this.items.delete(item.id);
    this.byKey.delete(item.idempotencyKey);
  }
}

/** Priority first (higher first), then first in, first out. */
export function byPriority(a: QueueItem, b: QueueItem): number {
  return b.priority - a.priority || a.id - b.id;
}

function copy(item: QueueItem): QueueItem {
  return structuredClone(item);
}

function statusSet(status: ListFilter['status']): Set<ItemStatus> {
  if (status === undefined) return new Set(ITEM_STATUSES);
  return new Set(typeof status === 'string' ? [status] : status);
}
