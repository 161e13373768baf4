import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { followUploads, stillAfterMs } from '../../../src/cli/follow-uploads.js';
import type { Output } from '../../../src/cli/output.js';
import { Emitter } from '../../../src/core/events.js';
import {
  BytesSource,
  constantBackoff,
  FakeClock,
  ResumableUpload,
  type ResumableUploadOptions,
} from '../../../src/index.js';
import type { Runtime } from '../../../src/node/runtime.js';
import type { UploadRunEvents } from '../../../src/node/upload-operation.js';
import type { QueueItem } from '../../../src/queue/types.js';
import { MemoryTusServer } from '../transfer/memory-tus.js';

class RunEvents extends Emitter<UploadRunEvents> {
  started(event: UploadRunEvents['started']) {
    this.emit('started', event);
  }
}

/** What a terminal of 200 columns shows last for each bar, and every line printed above the bars. */
function terminal(columns = 200) {
  const written: string[] = [];
  const output: Output = {
    colour: false,
    terminal: true,
    columns,
    line: (text = '') => written.push(text),
    write: () => {},
    error: () => {},
    json: () => {},
  };
  return { output, written };
}

/**
 * An upload of `size` zero bytes named `name` to a memory tus server on a fake clock, and the run events
 * `followUploads` listens to, announcing it as item `id` of `/data/<name>`.
 */
async function followedUpload(
  id: number,
  name: string,
  size: number,
  options:
    | Partial<ResumableUploadOptions>
    | ((parts: { clock: FakeClock; server: MemoryTusServer }) => Partial<ResumableUploadOptions>) = {},
) {
  const clock = new FakeClock(Date.now());
  const server = new MemoryTusServer();
  const source = new BytesSource(new Uint8Array(size), { name });
  await source.sha256();
  const upload = new ResumableUpload({
    source,
    endpoint: 'http://tus.test/files/',
    transport: server.transport,
    clock,
    ...(typeof options === 'function' ? options({ clock, server }) : options),
  });
  const events = new RunEvents();
  const runtime = { uploads: events, linkUrl: 'http://tus.test/health' } as unknown as Runtime;
  const announce = () =>
    events.started({ item: { id, kind: 'upload', payload: { path: `/data/${name}` } } as QueueItem, upload });
  return { clock, server, upload, runtime, announce };
}

describe('followUploads on a terminal', () => {
  it('shows the rate while bytes move, and what the upload waits for when they do not', async () => {
    const { clock, server, upload, runtime, announce } = await followedUpload(3, 'a.bin', 256 * 1024, {
      chunkSizeBytes: 64 * 1024,
      bytesPerSecond: 256 * 1024, // a rate the meter can measure on the fake clock
      backoff: constantBackoff(30_000),
    });
    const { output, written } = terminal();
    const view = followUploads(runtime, output, false);
    announce();

    let acknowledged = 0;
    const stopFailing = upload.on('chunkAcknowledged', () => {
      if (++acknowledged < 2) return; // the first PATCH is 16 KiB, too short for a rate
      server.fail({ type: 'status', status: 503 }); // the third PATCH
      stopFailing();
    });
    const done = upload.start();
    const bars = () => written.filter((line) => line.startsWith('#3 a.bin  ['));
    while (!written.some((line) => line.includes('503'))) await clock.advance(1);
    // The rate and the time left, while bytes moved (once there was a rate: at first it is being measured).
    expect(bars()[0]).toMatch(/ {2}measuring…$/);
    expect(bars()).toContainEqual(expect.stringMatching(/\d [KM]?B\/s {2}ETA \d+ms$/));
    const waiting = bars().at(-1) ?? '';
    expect(waiting).toMatch(/retrying at \d\d:\d\d:\d\d {2}retries \d$/);
    expect(waiting).not.toMatch(/B\/s/);
    await clock.runAll();
    await done;
    expect(written.at(-1)).toMatch(/^✓ #3 a\.bin {2}256\.0 KB in /);
    // Once every byte is sent, the bar gives no ETA ("ETA 0ms" was drawn before).
    const full = bars().filter((line) => line.includes('100%'));
    expect(full.length).toBeGreaterThan(0);
    for (const line of full) expect(line).not.toContain('ETA');
    view.stop();
  });

  it('says no bytes move instead of freezing the last rate, and shows the rate again when they do', async () => {
    const { clock, upload, runtime, announce } = await followedUpload(4, 'b.bin', 512 * 1024, {
      chunkSizeBytes: 64 * 1024,
      bytesPerSecond: 64 * 1024,
    });
    const { output, written } = terminal();
    const view = followUploads(runtime, output, false, clock);
    announce();
    const done = upload.start();
    const lastBar = () => written.filter((line) => line.startsWith('#4 b.bin  [')).at(-1) ?? '';
    await clock.advance(2000);
    expect(lastBar()).toMatch(/KB\/s {2}ETA/);
    upload.pause(); // nothing moves now, and no event says so
    await clock.advance(2000);
    expect(lastBar()).toMatch(/KB\/s {2}ETA/); // under 3 s: a pause between chunks looks like this
    await clock.advance(2000);
    expect(lastBar()).toMatch(/no bytes for 4\.0s$/);
    expect(lastBar()).not.toContain('B/s');
    upload.resume();
    await clock.advance(2000);
    expect(lastBar()).toMatch(/KB\/s {2}ETA/);
    await clock.runAll();
    await done;
    view.stop();
  });

  it('says a chunk is sent and awaits its answer, not that no bytes move, while the answer is slow', async () => {
    let answersHeld = 0;
    const { clock, upload, runtime, announce } = await followedUpload(
      6,
      'd.bin',
      64 * 1024,
      ({ clock, server }) => ({
        // The server takes every byte of the PATCH, then answers 5 s later (a slow link's buffers draining).
        transport: async (request) => {
          const response = await server.transport(request);
          if (request.method === 'PATCH' && answersHeld++ === 0) await clock.sleep(5000);
          return response;
        },
      }),
    );
    const { output, written } = terminal();
    const view = followUploads(runtime, output, false, clock);
    announce();
    const done = upload.start();
    await clock.advance(4000);
    expect(written.filter((line) => line.startsWith('#6 d.bin  [')).at(-1)).toMatch(
      /chunk sent, awaiting its answer, \d\.0s$/,
    );
    await clock.runAll();
    await done;
    view.stop();
  });

  it('with --json, says when an upload waits for the link (nothing was printed until it ended)', async () => {
    let wake = () => {};
    const connectivity = {
      state: 'offline' as 'offline' | 'online',
      waitForOnline: () => new Promise<void>((resolve) => (wake = resolve)),
    };
    const { clock, upload, runtime, announce } = await followedUpload(5, 'c.bin', 1024, { connectivity });
    const documents: Array<Record<string, unknown>> = [];
    const output: Output = {
      ...terminal().output,
      terminal: false,
      json: (value) => documents.push(value as Record<string, unknown>),
    };
    const view = followUploads(runtime, output, true, clock);
    announce();
    const done = upload.start();
    await clock.advance(1000);
    expect(documents).toEqual([
      expect.objectContaining({ event: 'waiting', id: 5, for: 'link', linkUrl: 'http://tus.test/health' }),
    ]);
    connectivity.state = 'online';
    wake();
    await clock.runAll();
    await done;
    expect(documents.at(-1)).toMatchObject({ event: 'uploaded', id: 5 });
    view.stop();
  });

  it('on an 80-column terminal, the name and then the bar give way: the rate and ETA stay whole', async () => {
    const name = 'survey-of-the-northern-shelf-2026.bin';
    const { clock, upload, runtime, announce } = await followedUpload(12, name, 40 * 1024 * 1024, {
      bytesPerSecond: 250 * 1024, // "250.0 KB/s  ETA 2m 43s": as wide as figures get
    });
    const { output, written } = terminal(80);
    const view = followUploads(runtime, output, false, clock);
    announce();
    void upload.start().catch(() => {});
    await clock.advance(2000);
    const line = written.filter((text) => text.startsWith('#12 ')).at(-1) ?? '';
    expect(line).toMatch(/KB\/s {2}ETA \d+m \d+s$/);
    expect(stringWidth(line)).toBeLessThanOrEqual(79);
    expect(line).toMatch(/^#12 survey.*\.bin {2}\[/); // the name, shortened in the middle
    upload.abort();
    view.stop();
  });

  it('waits longer before saying no bytes move on a slow link, where one 64 KiB slice takes long', () => {
    expect(stillAfterMs(undefined)).toBe(3000);
    expect(stillAfterMs(1024 * 1024)).toBe(3000);
    expect(stillAfterMs(2.75 * 1024)).toBeCloseTo(46_545, -1); // 22 kbit/s: a slice every 23 s is normal
  });
});
