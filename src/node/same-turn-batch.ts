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
 */
export class SameTurnBatch<Input, Output> {
  private waiting: Array<Waiting<Input, Output>> = [];
  private scheduled = false;

  constructor(private readonly commit: (inputs: Input[]) => Array<BatchOutcome<Output>>) {}

  add(input: Input): Promise<Output> {
    return new Promise<Output>((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits what is waiting now (call it before closing what `commit` writes to). */
  flush(): void {
    this.scheduled = false;
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
}
