import { describe, expect, it } from 'vitest';
import { lifelineAsync, startLifeline } from './support/cli.js';
import { until } from './support/tcp.js';

describe('lifeline demo', () => {
  it('plays the story end to end and reports nothing lost and nothing applied twice', async () => {
    const result = await lifelineAsync(['demo', '--quick', '--json']);
    const events = result.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(result.status, result.stderr).toBe(0);
    expect(events.filter((event) => event.event === 'act').map((event) => event.act)).toEqual([
      'healthy',
      'flaky',
      'outage',
      'pushback',
      'recovery',
    ]);
    expect(events.some((event) => event.event === 'link' && event.state === 'offline')).toBe(true);
    // The act of 429s says why nothing moves: one line per answer, with the wait it asked for.
    const pushbacks = events.filter((event) => event.event === 'pushback');
    expect(pushbacks.length).toBeGreaterThan(0);
    expect(pushbacks[0]).toMatchObject({ status: 429, retryAfterSeconds: 2 });
    // The flaky act cuts every upload connection after 1.5 MB: the file goes on from the server's offset.
    const resumed = events.filter((event) => event.event === 'resumed');
    expect(resumed.length).toBeGreaterThan(0);
    expect(resumed[0]?.offset).toBeGreaterThan(0);
    // Each file's line names it and says how often it resumed (the one cut above did).
    const uploaded = events.filter((event) => event.event === 'uploaded');
    expect(uploaded.map((event) => event.file).sort()).toEqual([
      'survey-1.bin',
      'survey-2.bin',
      'survey-3.bin',
    ]);
    const cut = uploaded.find((event) => event.id === resumed[0]?.id);
    expect(cut?.resumes).toBeGreaterThanOrEqual(resumed.filter((event) => event.id === cut?.id).length);
    const report = events.find((event) => event.event === 'report') as {
      ok: boolean;
      operations: { queued: number; delivered: number; lost: number; duplicates: number };
      files: { count: number; identical: number; resentShare: number };
      faults: { outageMs: number; pushbacks: number };
      recovery: { drainedAfterFaultsMs?: number };
      breaker: Array<{ to: string }>;
    };
    expect(report.ok).toBe(true);
    expect(report.operations.queued).toBeGreaterThan(50);
    expect(report.operations).toMatchObject({ lost: 0, duplicates: 0 });
    expect(report.operations.delivered).toBe(report.operations.queued);
    expect(report.files).toMatchObject({ count: 3, identical: 3 });
    expect(report.faults.outageMs).toBeGreaterThan(0);
    expect(report.faults.pushbacks).toBeGreaterThan(0);
    expect(report.recovery.drainedAfterFaultsMs).toBeDefined();
    expect(report.breaker.map((change) => change.to)).toContain('open');
  }, 120_000);

  it('Ctrl-C says in which act it stopped, and gives no report of a story cut short', async () => {
    const demo = startLifeline(['demo', '--quick', '--json']);
    await until(() => demo.lines.some((line) => line.includes('"act":"flaky"')), 60_000, 'the second act');
    demo.child.kill('SIGINT');
    expect(await demo.exited).toBe(1);
    const events = demo.lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
    expect(events.at(-1)).toMatchObject({ event: 'interrupted', act: 'flaky' });
    expect(events.some((event) => event.event === 'report')).toBe(false);
  }, 90_000);
});
