/**
 * How far request bodies may be read ahead of their handlers, all together. Each body may run up to
 * `perBodyBytes` ahead of its handler (see kept-body.ts: bytes this process holds survive a reset), but the
 * bodies of one server share `totalBytes`: PATCHes queued behind @tus/server's lock for one upload, or
 * many uploads on a slow disk, would otherwise hold `perBodyBytes` each.
 *
 * A body under `floorBytes` may always read, whatever the others hold: a handler that is reading is then
 * never starved by bodies nobody reads, so the budget cannot deadlock. A body refused for the budget's sake
 * waits here and is woken when other bodies' bytes are taken or dropped.
 */
export class ReadAheadBudget {
  readonly totalBytes: number;
  readonly perBodyBytes: number;
  readonly floorBytes: number;
  private heldBytes = 0;
  private readonly waiting = new Set<() => void>();

  /**
   * Defaults: 64 MiB in all, 8 MiB per body (more than a 4 MiB chunk, and still a bound a slow disk pushes
   * back against), 64 KiB always (what Node's own reader buffers).
   */
  constructor(options: { totalBytes?: number; perBodyBytes?: number; floorBytes?: number } = {}) {
    this.totalBytes = options.totalBytes ?? 64 * 1024 * 1024;
    this.perBodyBytes = options.perBodyBytes ?? 8 * 1024 * 1024;
    this.floorBytes = options.floorBytes ?? 64 * 1024;
  }

  /** Bytes all bodies hold now. */
  get usedBytes(): number {
    return this.heldBytes;
  }

  /** A body now holds `bytes` where it held `before`: a handler took some, or more arrived, or it ended. */
  change(before: number, bytes: number): void {
    this.heldBytes += bytes - before;
    // Waiting bodies were refused because all bodies together held the total: wake them once there is room.
    if (bytes < before && this.waiting.size > 0 && this.heldBytes < this.totalBytes) {
      for (const wake of [...this.waiting]) wake();
    }
  }

  /** Whether a body holding `bytes` may read more now. */
  mayRead(bytes: number): boolean {
    if (bytes < this.floorBytes) return true;
    return bytes < this.perBodyBytes && this.heldBytes < this.totalBytes;
  }

  /** `wake` is called whenever bytes are freed, until `stopWaiting(wake)`. */
  wait(wake: () => void): void {
    this.waiting.add(wake);
  }

  stopWaiting(wake: () => void): void {
    this.waiting.delete(wake);
  }
}
