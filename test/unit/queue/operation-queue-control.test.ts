import { afterEach, describe, expect, it } from 'vitest';
import { constantBackoff } from '../../../src/index.js';
import { OperationQueue } from '../../../src/queue/operation-queue.js';
import { deferred, permanentError, transientError } from '../../helpers.js';
import { claimedElsewhere, setup, startRecording, stopQueues } from './queue-setup.js';

afterEach(stopQueues);

describe('OperationQueue: pause, sync, recovery and stop', () => {
  it('pause stops new attempts; resume goes on', async () => {
    const { clock, queue } = setup();
    const ran: number[] = [];
    queue.handle('op', async (payload: number) => {
      ran.push(payload);
    });
    await queue.pause();
    queue.start();
    await queue.enqueue('op', 1);
    await clock.advance(10_000);
    expect(ran).toEqual([]);
    expect((await queue.status()).paused).toBe(true);
    await queue.resume();
    await clock.advance(1);
    expect(ran).toEqual([1]);
  });

  it('a pause from another queue on the same store (another process) reaches the running worker', async () => {
    const { clock, store, queue } = setup();
    const cli = new OperationQueue({ store, clock });
    const ran: number[] = [];
    queue.handle('op', async (payload: number) => {
      ran.push(payload);
    });
    queue.start();
    await cli.pause();
    await clock.advance(1000); // the worker re-reads the flag at least every poll interval
    await cli.enqueue('op', 1);
    await clock.advance(5000);
    expect(ran).toEqual([]);
    expect(queue.isPaused).toBe(true);
    await cli.resume();
    await clock.advance(1000);
    expect(ran).toEqual([1]);
  });

  it('tells a handler when its caller waits (sync, run), and not when the worker drains', async () => {
    const { clock, queue } = setup();
    const seen: Array<[number, boolean | undefined]> = [];
    queue.handle('op', async (payload: number, { callerWaiting }) => {
      seen.push([payload, callerWaiting]);
    });
    await queue.enqueue('op', 1);
    await queue.sync();
    await queue.run('op', 2);
    await queue.enqueue('op', 3);
    queue.start();
    await clock.advance(1000);
    expect(seen).toEqual([
      [1, true],
      [2, true],
      [3, undefined],
    ]);
  });

  it('sync() runs every pending item once now, even ones waiting out a backoff, and sums up', async () => {
    const { queue } = setup({ backoff: constantBackoff(3_600_000) });
    let flaky = 0;
    queue.handle('ok', async () => 'fine');
    queue.handle('flaky', async () => {
      if (++flaky < 3) throw transientError();
    });
    queue.handle('bad', async () => Promise.reject(permanentError()));
    await queue.enqueueMany([
      { kind: 'ok', payload: 1 },
      { kind: 'flaky', payload: 2 },
      { kind: 'bad', payload: 3 },
      { kind: 'ok', payload: 4, options: { notBefore: Date.now() + 3_600_000 } },
    ]);
    expect(await queue.sync()).toEqual({
      attempted: 4,
      completed: 2,
      retrying: 1,
      dead: 1,
      released: 0,
      remaining: 1,
      paused: false,
    });
    expect(await queue.sync()).toEqual({
      attempted: 1,
      completed: 0,
      retrying: 1,
      dead: 0,
      released: 0,
      remaining: 1,
      paused: false,
    });
    expect(await queue.sync()).toMatchObject({ completed: 1, remaining: 0 });
  });

  it('sync() on a paused queue runs nothing, says it was paused, and runs everything once resumed', async () => {
    const { queue } = setup();
    let ran = 0;
    queue.handle('ok', async () => {
      ran++;
    });
    await queue.enqueueMany([
      { kind: 'ok', payload: 1 },
      { kind: 'ok', payload: 2 },
    ]);
    await queue.pause();
    expect(await queue.sync()).toMatchObject({ attempted: 0, remaining: 2, paused: true });
    expect(ran).toBe(0);
    await queue.resume();
    expect(await queue.sync()).toMatchObject({ completed: 2, remaining: 0, paused: false });
    expect(ran).toBe(2);
  });

  it('recovers items a crashed worker left running, when it opens the store', async () => {
    const { clock, store, queue } = setup({ isOwnerAlive: (owner) => owner !== 'crashed-process' });
    await claimedElsewhere(store, 'crashed-process', 1, 0);
    const { ran, recovered } = startRecording(queue);
    await clock.advance(10);
    expect(recovered).toEqual([1]);
    expect(ran).toEqual([1]);
  });

  it('takes back what another process left running while it runs, not only when it starts', async () => {
    const dead = new Set<string>();
    const { clock, store, queue } = setup({
      isOwnerAlive: (owner) => !dead.has(owner),
      recoverIntervalMs: 10_000,
    });
    const { ran, recovered } = startRecording(queue);
    await clock.advance(10);
    // Another process (a `send --wait`) claims an item, then is killed while this queue keeps running.
    await claimedElsewhere(store, 'send-process', 8, clock.now());
    dead.add('send-process');
    // And a live process whose claim lapsed (it slept): it may still be running its item — left alone.
    await claimedElsewhere(store, 'asleep-process', 9, clock.now(), 1_000);
    await clock.advance(5_000);
    expect(ran).toEqual([]); // not yet: the next look is due 10 s after the first, at the start
    await clock.advance(5_100);
    expect(recovered).toEqual([1]);
    expect(ran).toEqual([8]);
    expect((await store.list({ limit: 10 })).find((item) => item.payload === 9)?.status).toBe('running');
  });

  it('stop() lets running attempts finish within the grace time, else puts them back unspent', async () => {
    const { clock, queue } = setup();
    const finish = deferred();
    queue.handle('quick', async () => finish.promise);
    const abortedAtStart: boolean[] = [];
    queue.handle('stuck', async (_payload, { signal }) => {
      abortedAtStart.push(signal.aborted);
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    });
    const quick = await queue.enqueue('quick', null);
    const stuck = await queue.enqueue('stuck', null);
    queue.start();
    await clock.advance(1);
    const stopping = queue.stop(5000);
    finish.resolve();
    await clock.advance(5000);
    await stopping;
    expect((await queue.get(quick.id))?.status).toBe('completed');
    expect(await queue.get(stuck.id)).toMatchObject({ status: 'pending', attempts: 0 });
    // Started again, the attempt gets a signal that has not aborted.
    queue.start();
    await clock.advance(1);
    expect(abortedAtStart).toEqual([false, false]);
    expect((await queue.get(stuck.id))?.status).toBe('running');
    const stoppedAgain = queue.stop(0);
    await clock.advance(1);
    await stoppedAgain;
    expect(await queue.get(stuck.id)).toMatchObject({ status: 'pending', attempts: 0 });
  });
});
