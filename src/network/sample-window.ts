/** The last N samples' outcomes, for uptime and loss rate: O(1) per sample, no allocation. */

const SUCCESS = 0;
/** A failure while the link was believed up: counts as loss. */
const LOST = 1;
/** A failure while the link was known to be offline: counts against uptime only. */
const DOWN = 2;

export type SampleOutcome = 'success' | 'lost' | 'down';

const CODES: Readonly<Record<SampleOutcome, number>> = { success: SUCCESS, lost: LOST, down: DOWN };

export class SampleWindow {
  private readonly outcomes: Uint8Array;
  private next = 0;
  private filled = 0;
  private readonly counts = [0, 0, 0];

  constructor(readonly size: number) {
    this.outcomes = new Uint8Array(size);
  }

  record(outcome: SampleOutcome): void {
    if (this.filled === this.size) {
      const evicted = this.outcomes[this.next] as number;
      this.counts[evicted] = (this.counts[evicted] as number) - 1;
    } else {
      this.filled++;
    }
    const code = CODES[outcome];
    this.outcomes[this.next] = code;
    this.counts[code] = (this.counts[code] as number) + 1;
    this.next = (this.next + 1) % this.size;
  }

  /**
   * Reclassifies the failures that led into an outage (the newest run of `lost` samples) as `down`: a burst
   * of requests failing together as the link dropped is one outage, not many losses.
   */
  markTrailingFailuresDown(): void {
    for (let seen = 0, index = this.next; seen < this.filled; seen++) {
      index = (index - 1 + this.size) % this.size;
      if (this.outcomes[index] !== LOST) return;
      this.outcomes[index] = DOWN;
      this.counts[LOST] = (this.counts[LOST] as number) - 1;
      this.counts[DOWN] = (this.counts[DOWN] as number) + 1;
    }
  }

  /** Samples in the window. */
  get count(): number {
    return this.filled;
  }

  /** Successes / all samples in the window (0 when empty). */
  get uptime(): number {
    return this.filled === 0 ? 0 : (this.counts[SUCCESS] as number) / this.filled;
  }

  /** Failures while the link was believed up / samples taken while it was up (0 when none). */
  get lossRate(): number {
    const successes = this.counts[SUCCESS] as number;
    const lost = this.counts[LOST] as number;
    return successes + lost === 0 ? 0 : lost / (successes + lost);
  }

  /** Samples the loss rate is computed over. */
  get lossSamples(): number {
    return (this.counts[SUCCESS] as number) + (this.counts[LOST] as number);
  }

  reset(): void {
    this.outcomes.fill(0);
    this.next = 0;
    this.filled = 0;
    this.counts.fill(0);
  }
}
