import { rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/index.js';
import { DirectoryWatcher } from '../../src/node/directory-watcher.js';
import { tempDir } from './support/queue-fixtures.js';
import { until } from './support/tcp.js';

describe('DirectoryWatcher on a real directory', () => {
  it('reports a file once it holds still, and stops polling for good on stop()', async () => {
    const clock = new FakeClock(1_000_000);
    const dir = tempDir('lifeline-watched-');
    const watcher = new DirectoryWatcher(dir, { settleMs: 500, intervalMs: 100, clock });
    const ready: string[] = [];
    watcher.on('ready', ({ path }) => ready.push(path));
    const fixedTimeS = 1_700_000_000; // whole seconds: the same time can be given again exactly
    writeFileSync(join(dir, 'a.txt'), 'alpha');
    utimesSync(join(dir, 'a.txt'), fixedTimeS, fixedTimeS);
    watcher.start();
    watcher.start(); // a second start does not start a second poller
    await until(() => clock.pendingTimers === 1, 5000, 'the first scan');
    for (let i = 0; i < 6; i++) {
      await clock.advance(100);
      await until(() => clock.pendingTimers === 1, 5000, 'the next scan');
    }
    expect(ready).toEqual([join(dir, 'a.txt')]);

    // Stopped while a scan runs: that scan arms no timer; nothing is reported after.
    await clock.advance(100);
    watcher.stop();
    writeFileSync(join(dir, 'b.txt'), 'beta');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(5000);
    expect(ready).toEqual([join(dir, 'a.txt')]);

    // Manual scans (--once) arm no timer either; a file gone and written again is a new file — even with
    // the same size and time as before, so only forgetting the vanished file can make it reported again.
    const gone: string[] = [];
    watcher.on('gone', ({ path }) => gone.push(path));
    rmSync(join(dir, 'a.txt'));
    await watcher.scan();
    expect(gone).toEqual([join(dir, 'a.txt')]); // said once, then forgotten
    await watcher.scan();
    expect(gone).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);
    writeFileSync(join(dir, 'a.txt'), 'ALPHA');
    utimesSync(join(dir, 'a.txt'), fixedTimeS, fixedTimeS);
    await watcher.scan();
    await clock.advance(600);
    await watcher.scan();
    expect(clock.pendingTimers).toBe(0);
    expect(ready[0]).toBe(join(dir, 'a.txt'));
    expect(ready.slice(1).sort()).toEqual([join(dir, 'a.txt'), join(dir, 'b.txt')]);
  });
});
