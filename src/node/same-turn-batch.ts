/** The outcome of one entry of a batch. */
export type BatchOutcome<Output> = { ok: true; value: Output } | { ok: false; error: unknown };

interface Waiting<Input, Output> {
  input: Input;
  resolve(value: Output): void;
  reject(error: unknown): void;
}

/**
 * Collects what arrives in the same turn of the event loop and hands it to `commit` as one batch when
 * the turn ends (`setImmediate`) — the heart of group commit: with synchronous=FULL one fsync then serves
 * every write of the turn. Each caller's promise settles after `commit` returns, with its own outcome;
 * if `commit` throws, every caller of that batch gets the error.
 *
 * A `lazy` entry is one nobody waits on to make progress (an outcome being recorded): it may wait up to
 * `lazyMs` for company, so that writes of several turns share one commit. Any eager entry, or
 * `maxLazy` waiting entries, ends the wait at the end of the turn.
 */
export class SameTurnBatch<Input, Output> {
  private waiting: Array<Waiting<Input, Output>> = [];
  private immediate: NodeJS.Immediate | undefined = undefined;
  private timer: NodeJS.Timeout | undefined = undefined;
  private readonly lazyMs: number;
  private readonly maxLazy: number;

  constructor(
    private readonly commit: (inputs: Input[]) => Array<BatchOutcome<Output>>,
    options: { lazyMs?: number; maxLazy?: number } = {},
  ) {
    this.lazyMs = options.lazyMs ?? 0;
    this.maxLazy = options.maxLazy ?? 64;
  }

  add(input: Input, lazy = false): Promise<Output> {
    return new Promise<Output>((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      if (!lazy || this.lazyMs <= 0 || this.waiting.length >= this.maxLazy) this.flushAtEndOfTurn();
      else if (!this.immediate && !this.timer) {
        this.timer = setTimeout(() => this.flush(), this.lazyMs);
      }
    });
  }

  /** Commits what is waiting now (call it before closing what `commit` writes to). */
  flush(): void {
    if (this.immediate) clearImmediate(this.immediate);
    if (this.timer) clearTimeout(this.timer);
    this.immediate = undefined;
    this.timer = undefined;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    let outcomes: Array<BatchOutcome<Output>>;
    try {
      outcomes = this.commit(batch.map((entry) => entry.input));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
      return;
    }
    batch.forEach((entry, index) => {
      const outcome = outcomes[index];
      if (outcome?.ok) entry.resolve(outcome.value);
      else entry.reject(outcome ? outcome.error : new Error('the batch gave no outcome for this entry'));
    });
  }

  private flushAtEndOfTurn(): void {
    if (this.immediate) return;
    this.immediate = setImmediate(() => this.flush());
  }
}
