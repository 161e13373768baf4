import type { Classifier } from '../core/classify.js';
import type { Clock } from '../core/clock.js';
import type { Backoff } from '../policy/backoff.js';
import type { QueueEvents } from './events.js';
import type { Handler } from './handler.js';
import type { ConcurrencyAdvice, LinkStatus } from './link.js';
import type { QueueStore } from './store.js';

/** What a worker runs with: the queue's options and the queue's own state it reads. */
export interface WorkerSettings {
  store: QueueStore;
  clock: Clock;
  classify: Classifier;
  backoff: Backoff;
  owner: string;
  leaseMs: number;
  pollIntervalMs: number;
  maxConcurrency: number;
  isOwnerAlive: (owner: string) => boolean;
  recoverIntervalMs: number;
  link: LinkStatus | undefined;
  advice: ConcurrencyAdvice | undefined;
  handlers: ReadonlyMap<string, Handler>;
  /** Kinds that never hold every slot (background-lane.ts). */
  backgroundKinds: ReadonlySet<string>;
  emit: <K extends keyof QueueEvents>(name: K, event: QueueEvents[K]) => void;
  isPaused: () => boolean;
  /** Re-reads the paused flag from the store (another process may have paused the queue). */
  refreshPaused: () => Promise<boolean>;
}
