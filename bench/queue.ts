/**
 * bench/queue: what the durable outbox costs over the tools underneath it, each figure beside a peer
 * measured in the same run (interleaved rounds, medians).
 *
 *  1. enqueue, one awaited call at a time, against raw better-sqlite3 single-row transactions inserting
 *     the same row into the same table (bench/queue-sqlite.ts), with the same `synchronous`: FULL and NORMAL.
 *  2. enqueueMany of N rows against one raw transaction inserting the same rows (both FULL, the default).
 *  3. draining N `http` POSTs to the embedded server over loopback at concurrency 8, against a plain
 *     `fetch` loop at the same concurrency (bench/queue-drain.ts). The server runs in a worker thread with
 *     `synchronous: 'normal'`: the bench measures the client side, not the server's disk.
 *
 * Bars (issue text): enqueue ≥ 0.80× raw (FULL and NORMAL); enqueueMany ≥ 0.50× raw; drain ≥ 1.50× the
 * plain fetch loop, judged on the queue store at NORMAL. Why NORMAL: the fetch loop writes nothing down,
 * while the queue commits every state change of every item (a claim, then a completion); at FULL each
 * commit is an fsync, a price set by the disk (section 1 measures it) and chosen by the user for power-loss
 * durability, not lifeline's own overhead. NORMAL keeps the same transactions (an item survives a crash of
 * the process) without the fsync, so it isolates what lifeline adds. FULL is printed beside it, with the
 * ceiling its fsync rate sets.
 */
import { join } from 'node:path';
import { createDurableQueue } from '../src/node/durable-queue.js';
import { httpOperation } from '../src/queue/http-operation.js';
import { compare, formatNs, formatRatio, type Measurement } from './harness.js';
import {
  fetchLoop,
  nodeHttpLoop,
  postOperations,
  queueDrain,
  startServer,
  undiciLoop,
} from './queue-drain.js';
import { openRawStore, type Synchronous, tempDir } from './queue-sqlite.js';

interface Rate {
  name: string;
  perSecond: number;
}

/** The payload enqueued in sections 1 and 2: an `http` POST as section 3 sends it. */
const OPERATION = httpOperation({
  method: 'POST',
  url: 'http://127.0.0.1:8080/ops/bench',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ i: 0 }),
});
const CONCURRENCY = 8;

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const rateOf = (measurement: Measurement, perOp = 1): Rate => ({
  name: measurement.name,
  perSecond: (perOp * 1e9) / measurement.nsPerOp,
});
const formatRate = (perSecond: number) => Math.round(perSecond).toLocaleString('en-US');
const verdict = (ratio: number, bar: number) => `${formatRatio(ratio)} ${ratio >= bar ? 'PASS' : 'FAIL'}`;

/** Rows aligned: rate, time per unit, and the rate as a multiple of its peer's (none: it is a peer). */
function printRates(title: string, rows: Array<Rate & { versus?: Rate }>, unit: string, each: string): void {
  console.log(`\n${title}`);
  const width = Math.max(...rows.map((row) => row.name.length));
  for (const row of rows) {
    const ratio = row.versus
      ? `${formatRatio(row.perSecond / row.versus.perSecond)} ${row.versus.name}`
      : '(peer)';
    const time = `${formatNs(1e9 / row.perSecond)}/${each}`;
    console.log(
      `  ${row.name.padEnd(width)}  ${formatRate(row.perSecond).padStart(9)} ${unit.padEnd(7)} ${time.padStart(14)}  ${ratio}`,
    );
  }
}

/** Section 1 at one `synchronous`: the raw peer and the queue, interleaved in one compare(). */
async function enqueueOneByOne(
  synchronous: Synchronous,
  iterations: number,
  rounds: number,
): Promise<Rate[]> {
  const dir = tempDir('lifeline-bench-enqueue-');
  const raw = openRawStore(join(dir.path, 'raw.db'), synchronous);
  const queue = createDurableQueue({ path: join(dir.path, 'queue.db'), synchronous });
  try {
    const label = synchronous.toUpperCase();
    const measured = await compare(
      [
        {
          name: `raw transaction, ${label}`,
          operation: async () => raw.insertOne('http', OPERATION),
          iterations,
        },
        { name: `queue.enqueue, ${label}`, operation: () => queue.enqueue('http', OPERATION), iterations },
      ],
      { rounds },
    );
    return measured.map((measurement) => rateOf(measurement));
  } finally {
    await queue.close();
    raw.close();
    dir.remove();
  }
}

/** Section 2: N rows in one call, against N rows in one raw transaction (both FULL). */
async function enqueueBatch(rows: number, rounds: number): Promise<Rate[]> {
  const dir = tempDir('lifeline-bench-batch-');
  const raw = openRawStore(join(dir.path, 'raw.db'), 'full');
  const queue = createDurableQueue({ path: join(dir.path, 'queue.db') });
  const entries = postOperations(OPERATION.url, rows); // the caller's data: built once, not timed
  try {
    const measured = await compare(
      [
        {
          name: `raw transaction of ${rows.toLocaleString('en-US')}`,
          operation: async () => raw.insertMany(entries),
          iterations: 1,
        },
        {
          name: `queue.enqueueMany(${rows.toLocaleString('en-US')})`,
          operation: () => queue.enqueueMany(entries),
          iterations: 1,
        },
      ],
      { rounds },
    );
    return measured.map((measurement) => rateOf(measurement, rows));
  } finally {
    await queue.close();
    raw.close();
    dir.remove();
  }
}

/** Section 3: each contender sends `total` POSTs per round; rounds interleaved, medians reported. */
async function drain(total: number, rounds: number): Promise<Rate[]> {
  const server = await startServer();
  const url = `${server.url}/ops/bench`;
  const contenders: Array<{ name: string; run: (count: number) => Promise<number> }> = [
    { name: 'plain fetch loop', run: (count) => fetchLoop(url, count, CONCURRENCY) },
    { name: 'durable queue, store NORMAL', run: (count) => queueDrain(url, count, CONCURRENCY, 'normal') },
    { name: 'durable queue, store FULL', run: (count) => queueDrain(url, count, CONCURRENCY, 'full') },
    { name: 'undici request loop', run: (count) => undiciLoop(url, count, CONCURRENCY) },
    { name: 'node:http keep-alive loop', run: (count) => nodeHttpLoop(url, count, CONCURRENCY) },
  ];
  const warmUp = Math.ceil(total / 5);
  try {
    for (const contender of contenders) await contender.run(warmUp);
    const samples = contenders.map(() => [] as number[]);
    for (let round = 0; round < rounds; round++) {
      for (const [index, contender] of contenders.entries()) {
        (globalThis as { gc?: () => void }).gc?.();
        samples[index]?.push(total / (await contender.run(total)));
      }
    }
    const expected = contenders.length * (warmUp + rounds * total);
    const { count, duplicates } = await server.counts();
    if (count !== expected || duplicates !== 0) {
      throw new Error(
        `bench/queue: the server applied ${count} of ${expected} POSTs, ${duplicates} keys twice`,
      );
    }
    console.log(
      `  (the server applied all ${count.toLocaleString('en-US')} POSTs of the section, no key twice)`,
    );
    return contenders.map((contender, index) => ({
      name: contender.name,
      perSecond: median(samples[index] ?? []),
    }));
  } finally {
    await server.stop();
  }
}

export async function benchQueue(quick: boolean): Promise<Rate[]> {
  const scale = quick ? 0.2 : 1;
  const n = (count: number) => Math.max(1, Math.round(count * scale));
  const rounds = quick ? 5 : 9;
  console.log(
    `\npayload: an http POST operation, ${JSON.stringify(OPERATION).length} bytes of JSON; ` +
      `store files fresh in os.tmpdir() per section; medians of ${rounds} interleaved rounds`,
  );

  // 1. One at a time.
  const full = await enqueueOneByOne('full', n(1_000), rounds);
  const normal = await enqueueOneByOne('normal', n(5_000), rounds);
  const [rawFull, queueFull] = full as [Rate, Rate];
  const [rawNormal, queueNormal] = normal as [Rate, Rate];
  printRates(
    'enqueue one at a time (awaited), each its own transaction',
    [rawFull, { ...queueFull, versus: rawFull }, rawNormal, { ...queueNormal, versus: rawNormal }],
    'ops/s',
    'op',
  );
  const fullRatio = queueFull.perSecond / rawFull.perSecond;
  const normalRatio = queueNormal.perSecond / rawNormal.perSecond;
  console.log(
    `  bar: ≥ 0.80× raw at the same synchronous → FULL ${verdict(fullRatio, 0.8)}; NORMAL ${verdict(normalRatio, 0.8)}`,
  );

  // 2. In one call.
  const batchRows = n(10_000);
  const batch = await enqueueBatch(batchRows, rounds);
  const [rawBatch, queueBatch] = batch as [Rate, Rate];
  printRates(
    `enqueueMany: ${batchRows.toLocaleString('en-US')} rows in one transaction, FULL`,
    [rawBatch, { ...queueBatch, versus: rawBatch }],
    'rows/s',
    'row',
  );
  const batchRatio = queueBatch.perSecond / rawBatch.perSecond;
  console.log(`  bar: ≥ 0.50× raw → ${verdict(batchRatio, 0.5)}`);

  // 3. Drain.
  const total = quick ? 1_000 : 5_000;
  const drainRounds = quick ? 3 : 5;
  console.log(
    `\ndrain: ${total.toLocaleString('en-US')} POSTs per round to the embedded server over loopback, concurrency ` +
      `${CONCURRENCY}, median of ${drainRounds} interleaved rounds (after a warm-up of ${Math.ceil(total / 5)} each).\n` +
      "  The server runs in a worker thread with synchronous 'normal': this measures the client side. Each queue\n" +
      '  round: a fresh store, the POSTs enqueued (not timed), then timed from start() until status() shows all completed.',
  );
  const drained = await drain(total, drainRounds);
  const [plainFetch, queueDrainNormal, queueDrainFull] = drained as [Rate, Rate, Rate];
  printRates(
    'drain rate',
    drained.map((row) => (row === plainFetch ? row : { ...row, versus: plainFetch })),
    'POSTs/s',
    'POST',
  );
  console.log(
    `  queue at FULL: each item commits a claim and a completion, each an fsync; raw FULL commits ran at ` +
      `${formatRate(rawFull.perSecond)}/s above, so FULL cannot pass ≈ ${formatRate(rawFull.perSecond / 2)} items/s here`,
  );
  const drainRatio = queueDrainNormal.perSecond / plainFetch.perSecond;
  console.log(
    `  bar: ≥ 1.50× plain fetch, store NORMAL (FULL adds the disk's fsyncs; see the header of bench/queue.ts) → ` +
      `${verdict(drainRatio, 1.5)}  [FULL: ${formatRatio(queueDrainFull.perSecond / plainFetch.perSecond)}]`,
  );
  return [...full, ...normal, ...batch, ...drained];
}
