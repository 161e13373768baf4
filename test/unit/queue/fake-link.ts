import { Emitter } from '../../../src/core/events.js';
import type { LinkStatus } from '../../../src/queue/link.js';

type State = 'online' | 'offline' | 'unknown';

/** A link whose state the test sets; it records what the queue reported to it. */
export class FakeLink extends Emitter<{ change: { to: State } }> implements LinkStatus {
  reportedSuccesses = 0;
  reportedFailures: unknown[] = [];

  constructor(public state: State = 'online') {
    super();
  }

  set(state: State): void {
    this.state = state;
    this.emit('change', { to: state });
  }

  reportSuccess(): void {
    this.reportedSuccesses++;
  }

  reportFailure(error: unknown): void {
    this.reportedFailures.push(error);
  }
}
