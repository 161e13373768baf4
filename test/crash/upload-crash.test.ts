import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/random.js';
import { createServer } from '../../src/server/index.js';
import { tempDir } from '../integration/support/queue-fixtures.js';
import { sleep } from '../integration/support/tcp.js';
import { MiB, randomFile, sha256 } from '../integration/support/upload-fixtures.js';

const UPLOADER = join(import.meta.dirname, 'support/uploader.ts');
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

type Event = { event: string; url?: string; offset?: number; reason?: string; resumedFromOffset?: number };

/** Runs the uploader; kills it with SIGKILL `killAfterAckMs` after its first acknowledged chunk, if given. */
function run(args: string[], killAfterAckMs?: number): Promise<{ events: Event[]; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', UPLOADER, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const events: Event[] = [];
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const event = JSON.parse(line) as Event;
        events.push(event);
        if (
          event.event === 'ack' &&
          killAfterAckMs !== undefined &&
          events.filter((e) => e.event === 'ack').length === 1
        ) {
          setTimeout(() => child.kill('SIGKILL'), killAfterAckMs);
        }
      }
    });
    child.on('exit', (code) => resolve({ events, code }));
  });
}

describe('upload crash test', () => {
  it('an uploader killed with SIGKILL at random moments resumes the same upload, never from zero', async () => {
    const server = createServer({ dataDir: tempDir('lifeline-upcrash-'), port: 0, synchronous: 'normal' });
    await server.start();
    cleanup.push(() => server.stop());
    const file = randomFile(24 * MiB);
    const args = [file.path, `${server.url}/files/`, join(tempDir('lifeline-upstate-'), 'uploads.db')];
    const random = seededRandom(11);

    const runs: Event[][] = [];
    for (let kill = 0; kill < 6; kill++) {
      const { events, code } = await run(args, 100 + random() * 400);
      runs.push(events);
      if (code === 0) break; // finished before the kill landed
      await sleep(50);
    }
    const last = await run(args);
    runs.push(last.events);
    expect(last.code).toBe(0);

    const created = runs.flat().filter((event) => event.event === 'created');
    expect(created).toHaveLength(1); // one server upload for the whole story
    let highestAck = 0;
    for (const [index, events] of runs.entries()) {
      const resumed = events.find((event) => event.event === 'resumed');
      if (index > 0) {
        expect(resumed?.url).toBe(created[0]?.url);
        expect(resumed?.offset ?? 0).toBeGreaterThanOrEqual(highestAck); // never back to zero, never behind the server
      }
      for (const event of events)
        if (event.event === 'ack') highestAck = Math.max(highestAck, event.offset ?? 0);
    }
    expect(runs.length).toBeGreaterThanOrEqual(3);
    const [stored] = server.uploads();
    expect(server.uploads()).toHaveLength(1);
    expect(stored?.sha256).toBe(sha256(file.bytes));
  }, 180_000);
});
