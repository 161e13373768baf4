import { describe, expect, it } from 'vitest';
import { anyOfProbe } from '../../../src/network/any-of-probe.js';
import type { Probe, ProbeResult } from '../../../src/network/probe.js';

/** A probe that answers `result` once `release()` is called (or at once), counting its calls. */
function scripted(result: ProbeResult | Error, { held = false } = {}) {
  let release: () => void = () => {};
  const gate = held ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve();
  const probe = Object.assign(
    (async () => {
      probe.calls++;
      await gate;
      if (result instanceof Error) throw result;
      return result;
    }) as Probe,
    { calls: 0 },
  );
  return { probe, release: () => release() };
}

const context = { signal: new AbortController().signal };
const refused = new Error('connect ECONNREFUSED 127.0.0.1:8080');

describe('anyOfProbe', () => {
  it('is the primary alone while nothing else is listed', async () => {
    const primary = scripted({ ok: false, error: refused });
    const result = await anyOfProbe(primary.probe, () => [])(context);
    expect(result).toEqual({ ok: false, error: refused });
  });

  it('finds the link up when another server answers, though the primary does not', async () => {
    const primary = scripted({ ok: false, error: refused });
    const other = scripted({ ok: true, latencyMs: 12 });
    const result = await anyOfProbe(primary.probe, () => [other.probe])(context);
    expect(result).toEqual({ ok: true, latencyMs: 12 });
    expect(other.probe.calls).toBe(1);
  });

  it('does not wait for a primary that hangs once another server answered', async () => {
    const primary = scripted({ ok: false, error: refused }, { held: true });
    const other = scripted({ ok: true, latencyMs: 3 });
    const result = await anyOfProbe(primary.probe, async () => [other.probe])(context);
    expect(result).toEqual({ ok: true, latencyMs: 3 });
    primary.release();
  });

  it("gives the primary's failure when no server answers, a throw counting as a failure", async () => {
    const primary = scripted({ ok: false, error: refused });
    const others = [scripted(new Error('boom')), scripted({ ok: false, error: new Error('timeout') })];
    const result = await anyOfProbe(primary.probe, () => others.map((o) => o.probe))(context);
    expect(result).toEqual({ ok: false, error: refused });
    expect(others.map((o) => o.probe.calls)).toEqual([1, 1]);
  });

  it("adds the others' details to the primary's failure", async () => {
    const primary = scripted({ ok: false, error: refused });
    const others = [
      scripted({ ok: false, error: new Error('timeout'), detail: 'b.example did not answer either' }),
      scripted({ ok: false, error: new Error('reset'), detail: 'c.example did not answer either' }),
    ];
    const result = await anyOfProbe(primary.probe, () => others.map((o) => o.probe))(context);
    expect(result).toEqual({
      ok: false,
      error: refused,
      detail: 'b.example did not answer either; c.example did not answer either',
    });
  });

  it('is the primary alone when listing the others fails', async () => {
    const primary = scripted({ ok: true, latencyMs: 5 });
    const result = await anyOfProbe(primary.probe, () => {
      throw new Error('the queue is closed');
    })(context);
    expect(result).toEqual({ ok: true, latencyMs: 5 });
  });
});
