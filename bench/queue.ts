/**
 * bench/queue: what the durable outbox costs over the tools underneath it, each figure beside peers
 * measured in the same run (interleaved rounds, medians).
 *
 *  1. enqueue, one awaited call at a time, against raw better-sqlite3 single-row transactions with the same
 *     `synchronous` (FULL and NORMAL) inserting the same values, into two tables (bench/queue-sqlite.ts):
 *     raw (columns) — the row the issue describes, the queue's columns with no index besides the rowid;
 *     the reference figures fit it, and the bar is judged against it — and raw (schema) — the
 *     queue's own items table with its UNIQUE key and partial indexes, which a generated-key enqueue does
 *     not write at once (it appends to the inbox, folded in batches: src/node/queue-inbox.ts); raw (schema)
 *     / raw (columns) is what the indexes cost. The folds happen inside the timed enqueues.
 *  2. enqueueMany of N rows against one raw transaction inserting the same rows, same two tables (FULL);
 *     rows with generated keys go to the inbox here too.
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
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { createDurableQueue } from '../src/node/durable-queue.js';
import { httpOperation } from '../src/queue/http-operation.js';
import type { OperationQueue } from '../src/queue/operation-queue.js';
import { postOperations } from '../test/integration/support/queue-fixtures.js';
import { compare, formatNs, formatRatio, type Measurement, median } from './harness.js';
import { fetchLoop, nodeHttpLoop, queueDrain, startServer, undiciLoop } from './queue-drain.js';
import { openRawStore, type RawStore, type Synchronous, tempDir } from './queue-sqlite.js';

interface Rate {
  name: string;
  perSecond: number;
  /** Slowest and fastest round, where rounds were timed here rather than in compare(). */
  spread?: [number, number];
}

/** The payload enqueued in sections 1 and 2: an `http` POST as section 3 sends it. */
const OPERATION = httpOperation({
  method: 'POST',
  url: 'http://127.0.0.1:8080/ops/bench',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ i: 0 }),
});
const CONCURRENCY = 8;

const rateOf = (measurement: Measurement, perOp = 1): Rate => ({
  name: measurement.name,
  perSecond: (perOp * 1e9) / measurement.nsPerOp,
});
const formatRate = (perSecond: number) => Math.round(perSecond).toLocaleString('en-US');
const ratioOf = (row: Rate, peer: Rate) => formatRatio(row.perSecond / peer.perSecond);
const verdict = (ratio: number, bar: number) => `${formatRatio(ratio)} ${ratio >= bar ? 'PASS' : 'FAIL'}`;

/** Rows aligned: rate, time per unit, and the rate as a multiple of its peers' (none: it is a peer). */
function printRates(
  title: string,
  rows: Array<Rate & { versus?: Rate[] }>,
  unit: string,
  each: string,
): void {
  console.log(`\n${title}`);
  const width = Math.max(...rows.map((row) => row.name.length));
  for (const row of rows) {
    const ratios = (row.versus ?? []).map(
      (peer) => `${formatRatio(row.perSecond / peer.perSecond)} ${peer.name}`,
    );
    const time = `${formatNs(1e9 / row.perSecond)}/${each}`;
    const spread = row.spread ? `  [rounds ${row.spread.map(formatRate).join('–')}]` : '';
    console.log(
      `  ${row.name.padEnd(width)}  ${formatRate(row.perSecond).padStart(9)} ${unit.padEnd(7)} ${time.padStart(14)}  ` +
        (ratios.length > 0 ? ratios.join('; ') : '(peer)') +
        spread,
    );
  }
}

/** The two raw peers (bench/queue-sqlite.ts) and the queue, each on a fresh file, interleaved in one compare(). */
async function againstRaw(
  synchronous: Synchronous,
  queueName: string,
  run: { raw: (store: RawStore) => unknown; queue: (queue: OperationQueue) => Promise<unknown> },
  { iterations, rounds, rowsPerOp }: { iterations: number; rounds: number; rowsPerOp: number },
): Promise<[Rate, Rate, Rate]> {
  const dir = tempDir('lifeline-bench-enqueue-');
  const columns = openRawStore(join(dir.path, 'columns.db'), synchronous, 'columns');
  const schema = openRawStore(join(dir.path, 'schema.db'), synchronous, 'schema');
  const queue = createDurableQueue({ path: join(dir.path, 'queue.db'), synchronous });
  const label = synchronous.toUpperCase();
  try {
    const measured = await compare(
      [
        { name: `raw (columns), ${label}`, operation: async () => run.raw(columns), iterations },
        {
          name: `raw (schema), ${label}`,
          operation: async () => run.raw(schema),
          iterations,
        },
        { name: `${queueName}, ${label}`, operation: () => run.queue(queue), iterations },
      ],
      { rounds },
    );
    return measured.map((measurement) => rateOf(measurement, rowsPerOp)) as [Rate, Rate, Rate];
  } finally {
    await queue.close();
    columns.close();
    schema.close();
    dir.remove();
  }
}

/** Table rows for one againstRaw(): the queue set against both peers, the schema against the columns. */
const againstPeers = ([columns, schema, queue]: [Rate, Rate, Rate]) => [
  columns,
  { ...schema, versus: [columns] },
  { ...queue, versus: [columns, schema] },
];

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
  const warmUp = Math.ceil(total / 10);
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
    return contenders.map((contender, index) => {
      const rates = samples[index] ?? [];
      return {
        name: contender.name,
        perSecond: median(rates),
        spread: [Math.min(...rates), Math.max(...rates)] as [number, number],
      };
    });
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
      `store files fresh in os.tmpdir() per section; medians of ${rounds} interleaved rounds\n` +
      `load average ${loadavg()[0]?.toFixed(2)} on ${availableParallelism()} CPUs at the start (a busy machine lowers every figure)`,
  );

  // 1. One at a time.
  const oneByOne = (synchronous: Synchronous, iterations: number) =>
    againstRaw(
      synchronous,
      'queue.enqueue',
      {
        raw: (store) => store.insertOne('http', OPERATION),
        queue: (queue) => queue.enqueue('http', OPERATION),
      },
      { iterations, rounds, rowsPerOp: 1 },
    );
  const full = await oneByOne('full', n(1_000));
  const normal = await oneByOne('normal', n(5_000));
  printRates(
    'enqueue one at a time (awaited), each its own transaction',
    [...againstPeers(full), ...againstPeers(normal)],
    'ops/s',
    'op',
  );
  const fullRatio = full[2].perSecond / full[0].perSecond;
  const normalRatio = normal[2].perSecond / normal[0].perSecond;
  console.log(
    `  bar: ≥ 0.80× raw (columns) at the same synchronous → FULL ${verdict(fullRatio, 0.8)}; ` +
      `NORMAL ${verdict(normalRatio, 0.8)}\n` +
      `  (against raw (schema), every row through the indexes: FULL ${ratioOf(full[2], full[1])}, ` +
      `NORMAL ${ratioOf(normal[2], normal[1])})`,
  );

  // 2. In one call.
  const batchRows = n(10_000);
  const entries = postOperations(OPERATION.url, batchRows); // the caller's data: built once, not timed
  const batch = await againstRaw(
    'full',
    'queue.enqueueMany',
    { raw: (store) => store.insertMany(entries), queue: (queue) => queue.enqueueMany(entries) },
    { iterations: 1, rounds, rowsPerOp: batchRows },
  );
  printRates(
    `enqueueMany: ${batchRows.toLocaleString('en-US')} rows in one call, against one raw transaction of the same rows`,
    againstPeers(batch),
    'rows/s',
    'row',
  );
  console.log(
    `  bar: ≥ 0.50× raw (columns) → ${verdict(batch[2].perSecond / batch[0].perSecond, 0.5)}\n` +
      `  (against raw (schema), every row through the indexes: ${ratioOf(batch[2], batch[1])})`,
  );

  // 3. Drain.
  const total = quick ? 1_000 : 5_000;
  const drainRounds = quick ? 3 : 5;
  console.log(
    `\ndrain: ${total.toLocaleString('en-US')} POSTs per round to the embedded server over loopback, concurrency ` +
      `${CONCURRENCY}, median of ${drainRounds} interleaved rounds (after a warm-up of ${Math.ceil(total / 10)} each).\n` +
      "  The server runs in a worker thread with synchronous 'normal': this measures the client side. Each queue\n" +
      '  round: a fresh store, the POSTs enqueued (not timed), then timed from start() until status() shows all completed.',
  );
  const drained = await drain(total, drainRounds);
  const [plainFetch, queueDrainNormal, queueDrainFull] = drained as [Rate, Rate, Rate];
  printRates(
    'drain rate',
    drained.map((row) => (row === plainFetch ? row : { ...row, versus: [plainFetch] })),
    'POSTs/s',
    'POST',
  );
  const fsyncs = full[1].perSecond; // raw single-row commits on the queue's schema at FULL
  console.log(
    `  queue at FULL: each commit is an fsync; an item's completion and the next item's claim share one (group ` +
      `commit); single commits at FULL ran at ${formatRate(fsyncs)}/s above, so the queue at FULL cannot pass ` +
      `≈ ${formatRate(fsyncs)} items/s here`,
  );
  const drainRatio = queueDrainNormal.perSecond / plainFetch.perSecond;
  console.log(
    `  bar: ≥ 1.50× plain fetch, store NORMAL (FULL adds the disk's fsyncs; see the header of bench/queue.ts) → ` +
      `${verdict(drainRatio, 1.5)}  [FULL: ${formatRatio(queueDrainFull.perSecond / plainFetch.perSecond)}]`,
  );
  return [...full, ...normal, ...batch, ...drained];
}
