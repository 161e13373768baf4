import type { Unsubscribe } from '../core/events.js';

/**
 * What the queue needs to know about the link: the ConnectivityMonitor (network/) provides it, and one
 * monitor can be shared by the queue, uploads and sockets. Kept structural so a user's own source works.
 */
export interface LinkStatus {
  readonly state: 'online' | 'offline' | 'unknown';
  on(name: 'change', listener: (change: { to: 'online' | 'offline' | 'unknown' }) => void): Unsubscribe;
  /** Real traffic succeeded: the link is up. */
  reportSuccess?(latencyMs?: number): void;
  /** Real traffic failed at the connection level: check the link now. */
  reportFailure?(error: unknown): void;
}

/**
 * Where the queue reads how many operations to run at once: QualityMonitor.concurrency(), the concurrency
 * of its recommendations. Read on every turn of the worker, so it must be cheap.
 */
export interface ConcurrencyAdvice {
  concurrency(): number;
}
