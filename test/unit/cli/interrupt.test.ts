import { describe, expect, it } from 'vitest';
import { interruption, pause, untilInterrupted } from '../../../src/cli/interrupt.js';

describe('interruption', () => {
  it('aborts on SIGINT or SIGTERM, and leaves no process listener behind', async () => {
    const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    const first = interruption();
    expect(process.listenerCount('SIGINT')).toBe((before[0] ?? 0) + 1);
    process.emit('SIGTERM');
    expect(first.signal.aborted).toBe(true);
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(before);

    const second = interruption();
    second.dispose(); // a command that ended on its own
    expect(second.signal.aborted).toBe(false);
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(before);

    const waiting = untilInterrupted();
    process.emit('SIGINT');
    await waiting;
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(before);
  });

  it('tells a person at a terminal that a second Ctrl-C quits at once; writes nothing into a pipe', () => {
    const written: string[] = [];
    const write = process.stderr.write;
    const wasTty = process.stderr.isTTY;
    process.stderr.write = ((text: string) => written.push(text) > 0) as typeof process.stderr.write;
    try {
      process.stderr.isTTY = true;
      interruption();
      process.emit('SIGINT');
      process.stderr.isTTY = false;
      interruption();
      process.emit('SIGINT');
    } finally {
      process.stderr.write = write;
      process.stderr.isTTY = wasTty;
    }
    expect(written).toEqual(['stopping… (Ctrl-C again quits at once)\n']);
  });

  it('pause ends early when the signal aborts, and at once when it already has', async () => {
    const controller = new AbortController();
    const paused = pause(60_000, controller.signal);
    controller.abort();
    await expect(paused).resolves.toBeUndefined();
    await expect(pause(60_000, controller.signal)).resolves.toBeUndefined();
  });
});
