import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock, Timer } from '../core/clock.js';
import { realClock } from '../core/clock.js';
import { Emitter } from '../core/events.js';

export interface WatchedFile {
  path: string;
  size: number;
  mtimeMs: number;
}

export interface DirectoryWatcherEvents {
  /** A new or changed file that has stopped growing for `settleMs`. */
  ready: WatchedFile;
  /** A file seen before is no longer there (deleted, or moved away). */
  gone: { path: string };
  error: { error: unknown };
}

/** Names that are work in progress, not files to send. */
const IGNORED = /^\.|\.(part|tmp|crdownload|swp)$|~$/;

/**
 * Watches a directory by polling — the one way that behaves the same on every platform and file system
 * (fs.watch misses events on network mounts) — and reports each new or changed file once its size and
 * modification time have held still for `settleMs`, so a file still being written is never picked up.
 */
export class DirectoryWatcher extends Emitter<DirectoryWatcherEvents> {
  private readonly seen = new Map<
    string,
    { size: number; mtimeMs: number; stableSinceMs: number; reported: boolean }
  >();
  private timer: Timer | undefined;
  private scanning = false;
  private watching = false;
  private readonly clock: Clock;

  constructor(
    readonly directory: string,
    private readonly options: {
      settleMs?: number;
      intervalMs?: number;
      recursive?: boolean;
      clock?: Clock;
    } = {},
  ) {
    super();
    this.clock = options.clock ?? realClock;
  }

  start(): void {
    if (this.watching) return;
    this.watching = true;
    void this.poll();
  }

  stop(): void {
    this.watching = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** A scan, then the next one after the interval — while watching (a scan running at stop() arms none). */
  private async poll(): Promise<void> {
    await this.scan();
    if (this.watching)
      this.timer = this.clock.setTimer(() => void this.poll(), this.options.intervalMs ?? 1000);
  }

  /** One pass over the directory (exposed for tests and `--once`). */
  async scan(): Promise<void> {
    if (this.scanning) return;
    this.scanning = true;
    try {
      const nowMs = this.clock.now();
      const listed = await this.files(this.directory);
      // Files gone from the directory are forgotten: a long watch of an outbox does not grow without end.
      const present = new Set(listed);
      for (const path of this.seen.keys()) {
        if (present.has(path)) continue;
        this.seen.delete(path);
        this.emit('gone', { path });
      }
      for (const path of listed) {
        let info: Awaited<ReturnType<typeof stat>>;
        try {
          info = await stat(path);
        } catch {
          continue; // gone between listing and stat
        }
        const known = this.seen.get(path);
        if (!known || known.size !== info.size || known.mtimeMs !== info.mtimeMs) {
          this.seen.set(path, {
            size: info.size,
            mtimeMs: info.mtimeMs,
            stableSinceMs: nowMs,
            reported: false,
          });
          continue;
        }
        if (!known.reported && nowMs - known.stableSinceMs >= (this.options.settleMs ?? 2000)) {
          known.reported = true;
          this.emit('ready', { path, size: info.size, mtimeMs: info.mtimeMs });
        }
      }
    } catch (error) {
      this.emit('error', { error });
    } finally {
      this.scanning = false;
    }
  }

  private async files(directory: string): Promise<string[]> {
    const entries = await readdir(directory, { withFileTypes: true });
    const files: string[] = [];
    for (const entry of entries) {
      if (IGNORED.test(entry.name)) continue;
      const path = join(directory, entry.name);
      if (entry.isFile()) files.push(path);
      else if (entry.isDirectory() && this.options.recursive) files.push(...(await this.files(path)));
    }
    return files;
  }
}
