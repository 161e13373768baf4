import { describe, expect, it } from 'vitest';
import { BytesSource, ByteThrottle, FakeClock, ResumableUpload } from '../../../src/index.js';
import { DeliveryPacer, pacerFor } from '../../../src/transfer/delivery-pacer.js';
import { DEFAULT_LOSS_MEMORY_MS, LinkHistory } from '../../../src/transfer/link-history.js';

const MiB = 1024 * 1024;
const rateOf = (bytes: number, ms: number) => (bytes / ms) * 1000;
const ENDPOINT = 'http://127.0.0.1:8080/files/';

/** A server that absorbs `serverBytesPerSecond` behind a fixed cost, fed at the pacer's rate. */
function patchAgainst(pacer: DeliveryPacer, serverBytesPerSecond: number, fixedMs: number, bytes = 4 * MiB) {
  const paceBytesPerSecond = pacer.bytesPerSecond ?? 1e12; // unpaced: the client's own speed is no limit
  const sendSpanMs = (bytes / paceBytesPerSecond) * 1000;
  const absorbMs = (bytes / serverBytesPerSecond) * 1000;
  pacer.notePatch({ bytes, sendSpanMs, durationMs: Math.max(sendSpanMs, absorbMs) + fixedMs });
}

describe('DeliveryPacer', () => {
  it('sends the first PATCH at full speed, then paces just above the rate the server absorbed', () => {
    const pacer = new DeliveryPacer(new FakeClock());
    pacer.noteRoundTrip(2);
    expect(pacer.bytesPerSecond).toBeUndefined();
    pacer.notePatch({ bytes: 4 * MiB, sendSpanMs: 3, durationMs: 42 }); // 40 ms of transfer after 2 ms fixed
    const pace = pacer.bytesPerSecond as number;
    expect(pace).toBeGreaterThan(rateOf(4 * MiB, 40));
    expect(pace).toBeLessThan(rateOf(4 * MiB, 40) * 1.1);
  });

  it('settles just above a slower server, so the queue it leaves stays small', () => {
    const pacer = new DeliveryPacer(new FakeClock());
    pacer.noteRoundTrip(1);
    const server = 50 * MiB;
    for (let patch = 0; patch < 20; patch++) patchAgainst(pacer, server, 1);
    const pace = pacer.bytesPerSecond as number;
    expect(pace).toBeGreaterThanOrEqual(server);
    expect(pace).toBeLessThan(server * 1.1);
  });

  it('finds a faster link by growing while the pace, not the server, is the limit', () => {
    const pacer = new DeliveryPacer(new FakeClock());
    pacer.noteRoundTrip(1);
    patchAgainst(pacer, 20 * MiB, 1); // the first PATCH met a busy server
    const slow = pacer.bytesPerSecond as number;
    for (let patch = 0; patch < 40; patch++) patchAgainst(pacer, 100 * MiB, 1);
    expect(slow).toBeLessThan(25 * MiB);
    expect(pacer.bytesPerSecond).toBeGreaterThanOrEqual(100 * MiB);
    expect(pacer.bytesPerSecond).toBeLessThan(110 * MiB);
  });

  it('keeps its pace through one PATCH slowed by a hiccup, and follows a lasting slowdown', () => {
    const pacer = new DeliveryPacer(new FakeClock());
    pacer.noteRoundTrip(1);
    for (let patch = 0; patch < 10; patch++) patchAgainst(pacer, 100 * MiB, 1);
    const steady = pacer.bytesPerSecond as number;
    patchAgainst(pacer, 10 * MiB, 1);
    expect(pacer.bytesPerSecond).toBe(steady);
    for (let patch = 0; patch < 5; patch++) patchAgainst(pacer, 10 * MiB, 1);
    expect(pacer.bytesPerSecond).toBeLessThan(11 * MiB);
  });

  it('learns the fixed cost from PATCHes that left no queue, and ignores chunks too small to measure', () => {
    const pacer = new DeliveryPacer(new FakeClock());
    pacer.noteRoundTrip(30); // a slow first OPTIONS overstates the fixed cost
    pacer.notePatch({ bytes: 4 * MiB, sendSpanMs: 2, durationMs: 70 });
    pacer.notePatch({ bytes: 4 * MiB, sendSpanMs: 40, durationMs: 41 }); // paced, no queue: 1 ms fixed
    pacer.notePatch({ bytes: 4 * MiB, sendSpanMs: 2, durationMs: 81 }); // full speed: 80 ms of transfer
    const afterLearning = pacer.bytesPerSecond;
    pacer.notePatch({ bytes: 1000, sendSpanMs: 0.1, durationMs: 500 });
    expect(pacer.bytesPerSecond).toBe(afterLearning);
    // Measured against the 1 ms learned, the best PATCH delivered 4 MiB in 40 ms (not in 11).
    expect(afterLearning).toBeGreaterThan(rateOf(4 * MiB, 40));
    expect(afterLearning).toBeLessThan(rateOf(4 * MiB, 40) * 1.1);
  });

  it('from the first loss: measures all along, paces only once a connection was lost, at once', () => {
    const pacer = new DeliveryPacer(new FakeClock(), true);
    pacer.noteRoundTrip(1);
    for (let patch = 0; patch < 5; patch++) patchAgainst(pacer, 50 * MiB, 1);
    expect(pacer.bytesPerSecond).toBeUndefined();
    pacer.noteLostConnection();
    expect(pacer.bytesPerSecond).toBeGreaterThanOrEqual(50 * MiB);
    expect(pacer.bytesPerSecond).toBeLessThan(55 * MiB);
  });

  it('is built from the upload option: from the first loss by default, from the start, or not at all', () => {
    const clock = new FakeClock();
    expect(pacerFor(clock, { pacing: false, endpoint: ENDPOINT, limits: [] })).toBeUndefined();
    for (const [option, pacedBeforeLoss] of [
      [undefined, false],
      [true, false],
      ['always', true],
    ] as const) {
      const pacer = pacerFor(clock, { pacing: option, endpoint: ENDPOINT, limits: [] }) as DeliveryPacer;
      pacer.noteRoundTrip(1);
      patchAgainst(pacer, 50 * MiB, 1);
      expect(pacer.bytesPerSecond !== undefined).toBe(pacedBeforeLoss);
    }
    // From JavaScript any value can come: one that is not an option is refused, saying what may be.
    const typo = 'alwyas' as unknown as boolean;
    const source = new BytesSource(new Uint8Array(8));
    expect(() => new ResumableUpload({ source, endpoint: ENDPOINT, pacing: typo })).toThrow(
      /pacing must be true, false or 'always', got "alwyas"/,
    );
  });

  describe('with a shared LinkHistory', () => {
    interface Run {
      endpoint?: string;
      losesConnection?: boolean;
      limit?: ByteThrottle;
    }
    /** One upload: five PATCHes against a server absorbing 50 MiB/s, maybe a lost connection; its first pace. */
    function upload(clock: FakeClock, history: LinkHistory, run: Run = {}) {
      const pacer = pacerFor(clock, {
        linkHistory: history,
        endpoint: run.endpoint ?? ENDPOINT,
        limits: [run.limit],
      }) as DeliveryPacer;
      pacer.beforePatch();
      const firstPace = pacer.bytesPerSecond;
      pacer.noteRoundTrip(1);
      for (let patch = 0; patch < 5; patch++) {
        pacer.beforePatch();
        patchAgainst(pacer, Math.min(50 * MiB, run.limit?.bytesPerSecond ?? Infinity), 1);
      }
      if (run.losesConnection) pacer.noteLostConnection();
      return firstPace;
    }

    it('paces the next upload from its first PATCH, at the rate the last one measured, after a loss', () => {
      const clock = new FakeClock();
      const history = new LinkHistory({ clock });
      expect(upload(clock, history, { losesConnection: true })).toBeUndefined(); // nothing known yet
      const firstPace = upload(clock, history) as number;
      expect(firstPace).toBeGreaterThanOrEqual(50 * MiB);
      expect(firstPace).toBeLessThan(55 * MiB);
    });

    it('starts pacing a running upload at its next PATCH when another one loses a connection', () => {
      const clock = new FakeClock();
      const history = new LinkHistory({ clock });
      const running = pacerFor(clock, {
        linkHistory: history,
        endpoint: ENDPOINT,
        limits: [],
      }) as DeliveryPacer;
      running.noteRoundTrip(1);
      patchAgainst(running, 50 * MiB, 1);
      expect(running.bytesPerSecond).toBeUndefined();
      upload(clock, history, { losesConnection: true });
      running.beforePatch();
      expect(running.bytesPerSecond).toBeGreaterThanOrEqual(50 * MiB);
    });

    it('remembers rates per server, and not those a bandwidth limit held down', () => {
      const clock = new FakeClock();
      const history = new LinkHistory({ clock });
      upload(clock, history, { losesConnection: true });
      // Another server: paced (the link lost a connection) once it has measured, not from a rate of ours.
      expect(upload(clock, history, { endpoint: 'http://10.0.0.9/files/' })).toBeUndefined();
      // A limited upload to the first server leaves its rate alone.
      upload(clock, history, { limit: new ByteThrottle({ clock, bytesPerSecond: 1 * MiB }) });
      expect(upload(clock, history)).toBeGreaterThanOrEqual(50 * MiB);
    });

    it('forgets a loss and a rate after lossMemoryMs; a link that lost nothing is not paced', async () => {
      const clock = new FakeClock();
      const history = new LinkHistory({ clock });
      upload(clock, history);
      expect(upload(clock, history, { losesConnection: true })).toBeUndefined(); // no loss before it
      expect(upload(clock, history)).toBeDefined();
      await clock.advance(DEFAULT_LOSS_MEMORY_MS + 1);
      expect(history.lossIsRecent).toBe(false);
      history.noteLostConnection(); // a fresh loss, but the rate is as old as before
      expect(upload(clock, history)).toBeUndefined();
    });

    it('refuses a negative memory', () => {
      expect(() => new LinkHistory({ lossMemoryMs: -1 })).toThrow(/lossMemoryMs/);
    });
  });
});
