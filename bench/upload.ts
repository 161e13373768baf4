/**
 * bench/upload: lifeline's ResumableUpload against tus-js-client, both uploading the same file to the same
 * server — lifeline's embedded one (@tus/server with @tus/file-store, SHA-256 checked at completion), run
 * in a child process so the server's CPU is not the clients' event loop (upload-server.ts).
 *
 * 1. Throughput at 4 MiB and 1 MiB chunks, the contenders interleaved round by round (rotating who goes
 *    first) so a slow spell of the machine hurts all alike; medians. The server checks each file against
 *    the SHA-256 sent as metadata at creation, so that hash is computed before the first byte goes out:
 *    lifeline does it itself; a tus-js-client caller must do it to get the check. Each client is shown
 *    with that hashing in its clock and without (digest given beforehand), and each lifeline row is
 *    compared with the tus-js-client row doing the same work. The bar uses the rows with hashing: the time
 *    a caller waits for a checked file to be on the server. (Until the server ran on its own thread, the
 *    bar charged the hash to lifeline only; with the faster server the hash is a fifth of lifeline's time,
 *    and that comparison is printed beside the bar.) Both lifeline transports are shown; the bar uses
 *    undici's, the one lifeline/node's runtime uses.
 * 2. Connections reset after an exponentially distributed number of client→server bytes (mean 16 MiB,
 *    the same seeds for each client; upload-resent.ts measures, upload-resets.ts injects): bytes sent
 *    again as a share of the file. lifeline twice: each upload on its own (it knows nothing of the link
 *    when it starts, as a single upload in a fresh process), and the series sharing a LinkHistory (as the
 *    uploads of one process do by default, and lifeline's runtime's: after the series' first lossy reset,
 *    each upload is paced from its first byte, in PATCHes cut down to size). tus-js-client has no such
 *    memory. `--quick` leaves out the fetch transport here.
 *
 *    On two servers, each in its own process. First @tus/server with @tus/file-store as their README sets
 *    them up, the server most tus clients meet: it drops what its streams and the socket buffers on the way
 *    held when a connection dies, so what a reset costs depends on how much the client keeps queued in
 *    front of the server. Then lifeline's server, which keeps every byte that arrived
 *    (src/server/kept-body.ts) and reads ahead of its disk: there both clients lose something only in rare
 *    events (a pause of the server as a reset comes, about one upload in a hundred), which eight uploads
 *    sample poorly: `--reset-rounds=N` replays the seeds N times (docs/design-notes.md).
 */
import { LinkHistory } from '../src/transfer/link-history.js';
import { type BenchOptions, formatRatio, median } from './harness.js';
import { chunkLabel, type FaultContender, measureResent, pass, printResentBar } from './upload-resent.js';
import {
  type BenchRig,
  benchServer,
  lifelineUpload,
  MiB,
  type RunResult,
  randomFile,
  type Transport,
  tusJsUpload,
  tusJsUploadHashing,
} from './upload-rig.js';

const CHUNKS = [4 * MiB, 1 * MiB];
const MEAN_RESET_BYTES = 16 * MiB;
/** tus-js-client's retry delays; attempts reset whenever the offset advances (in both clients). */
const RETRY_DELAYS_MS = [0, 100, 200, 500, 1000];
const RETRY_SCHEDULE = [...RETRY_DELAYS_MS, ...RETRY_DELAYS_MS, ...RETRY_DELAYS_MS, ...RETRY_DELAYS_MS];
const lifelineBackoff = {
  maxDelayMs: Math.max(...RETRY_DELAYS_MS),
  delayMs: (attempt: number) => RETRY_DELAYS_MS[(attempt - 1) % RETRY_DELAYS_MS.length] as number,
};

const mbps = (bytes: number, ms: number) => bytes / MiB / (ms / 1000);
const gc = () => (globalThis as { gc?: () => void }).gc?.();

interface Contender {
  name: string;
  run: (chunkSize: number, endpoint: string) => Promise<RunResult>;
}

export async function benchUpload({ quick, resetRounds }: BenchOptions): Promise<void> {
  const size = (quick ? 32 : 100) * MiB;
  const rounds = quick ? 3 : 7;
  const seeds = quick ? [1, 2] : [1, 2, 3, 4, 5, 6, 7, 8];
  // Each round replays the seeds: the distances between resets repeat, the machine's timing does not.
  const resetRuns = Array.from({ length: resetRounds }, () => seeds).flat();
  const file = randomFile(size);
  const rig = await benchServer();
  let stock: BenchRig | undefined;
  try {
    const lifeline = (transport: Transport, preHashed: boolean) => (chunkSize: number, endpoint: string) =>
      lifelineUpload({ path: file.path, endpoint, chunkSize, transport, preHashed });
    // Rows 0 and 1 are the peers: each lifeline row is compared with the tus-js-client row that does the
    // same work (the SHA-256 the server checks computed in the clock, or given beforehand).
    const contenders: Contender[] = [
      {
        name: 'tus-js-client 4.3.1, SHA-256 included',
        run: (chunkSize, endpoint) => tusJsUploadHashing({ path: file.path, endpoint, chunkSize }),
      },
      {
        name: 'tus-js-client 4.3.1, SHA-256 excluded',
        run: (chunkSize, endpoint) =>
          tusJsUpload({ path: file.path, sha256: file.sha256, endpoint, chunkSize }),
      },
      { name: 'lifeline undici, SHA-256 included', run: lifeline('undici', false) },
      { name: 'lifeline undici, SHA-256 excluded', run: lifeline('undici', true) },
      { name: 'lifeline fetch,  SHA-256 included', run: lifeline('fetch', false) },
      { name: 'lifeline fetch,  SHA-256 excluded', run: lifeline('fetch', true) },
    ];

    // 1. Throughput.
    const throughput = new Map<number, number[]>(); // chunk → median MB/s per contender
    for (const chunk of CHUNKS) {
      const samples = contenders.map(() => [] as number[]);
      if (chunk === CHUNKS[0]) {
        for (const contender of contenders) {
          await contender.run(chunk, rig.endpoint); // warm-up
          await rig.clear();
        }
      }
      for (let round = 0; round < rounds; round++) {
        for (let i = 0; i < contenders.length; i++) {
          const index = (i + round) % contenders.length;
          gc();
          const { ms } = await (contenders[index] as Contender).run(chunk, rig.endpoint);
          await rig.clear();
          samples[index]?.push(mbps(size, ms));
        }
      }
      throughput.set(
        chunk,
        samples.map((values) => median(values)),
      );
    }
    const uploads = await rig.uploads();
    const intact = uploads.every((upload) => upload.verified && upload.sha256 === file.sha256);
    console.log(
      `\nthroughput, ${size / MiB} MB file to lifeline's server on loopback, median of ${rounds} interleaved rounds` +
        ` (MB = 2^20 bytes; ${uploads.length} uploads, ${intact ? 'all' : 'NOT all'} verified by the server's SHA-256)`,
    );
    const width = Math.max(...contenders.map((contender) => contender.name.length));
    console.log(
      `  ${''.padEnd(width)}  ${CHUNKS.map((chunk) => `${chunkLabel(chunk)} chunks`.padEnd(24)).join('')}`.trimEnd(),
    );
    for (const [index, contender] of contenders.entries()) {
      const cells = CHUNKS.map((chunk) => {
        const values = throughput.get(chunk) as number[];
        const value = values[index] as number;
        const peer = values[contender.name.endsWith('included') ? 0 : 1] as number;
        const ratio = index < 2 ? '' : ` ${formatRatio(value / peer)}`;
        return `${value.toFixed(1).padStart(7)} MB/s${ratio}`.padEnd(24);
      });
      console.log(`  ${contender.name.padEnd(width)}  ${cells.join('')}`.trimEnd());
    }
    const msOf = (mbPerSecond: number) => (size / MiB / mbPerSecond) * 1000;
    const hashMs = CHUNKS.map((chunk) => {
      const values = throughput.get(chunk) as number[];
      return `${(msOf(values[2] as number) - msOf(values[3] as number)).toFixed(0)} ms at ${chunkLabel(chunk)}`;
    });
    console.log(
      `  the server checks the file's SHA-256, sent at creation, so it is computed before the first byte:` +
        ` lifeline's included − excluded = ${hashMs.join(', ')} per upload; ratios compare the same work`,
    );
    for (const chunk of CHUNKS) {
      const values = throughput.get(chunk) as number[];
      const ratio = (values[2] as number) / (values[0] as number);
      const againstFree = (values[2] as number) / (values[1] as number);
      console.log(
        `  bar: lifeline (undici) ≥ 1.00× tus-js-client at ${chunkLabel(chunk)}, both hashing (aim 1.20×) → ` +
          `${formatRatio(ratio)} ${pass(ratio >= 1)}  (against tus-js-client given the hash: ${formatRatio(againstFree)})`,
      );
    }

    // 2. Resets, first on the stock @tus/server (what a reset costs there is the client's doing, mostly),
    // then on lifeline's server (which keeps what arrived, so both clients lose almost nothing).
    console.log(
      `\nre-sent bytes: every connection reset after Exp(mean ${MEAN_RESET_BYTES / MiB} MiB) client→server bytes,` +
        ` seeds ${seeds.join(', ')}${resetRounds > 1 ? ` (${resetRounds} rounds)` : ''} for each client;` +
        ` ${size / MiB} MB file`,
    );
    console.log(
      `  retry delays ${RETRY_DELAYS_MS.join('/')} ms for both (attempts reset when the offset advances)`,
    );
    // `lifeline undici, shared history`: the runs of one chunk size share a LinkHistory, as the uploads of
    // one process do by default (and lifeline's runtime) — after the first reset of the series, each upload
    // is paced from its start, its PATCHes no larger than earlier cuts brought them down to.
    let history = new LinkHistory();
    const lifelineFaulty =
      (transport: Transport, linkHistory?: () => LinkHistory) => (chunkSize: number, endpoint: string) =>
        lifelineUpload({
          path: file.path,
          endpoint,
          chunkSize,
          transport,
          preHashed: true,
          backoff: lifelineBackoff,
          maxAttempts: RETRY_SCHEDULE.length,
          ...(linkHistory ? { linkHistory: linkHistory() } : {}),
        });
    const reference = 'tus-js-client 4.3.1';
    const faultContenders: FaultContender[] = [
      {
        name: reference,
        run: (chunkSize, endpoint) =>
          tusJsUpload({
            path: file.path,
            sha256: file.sha256,
            endpoint,
            chunkSize,
            retryDelays: RETRY_SCHEDULE,
          }),
      },
      { name: 'lifeline undici', run: lifelineFaulty('undici') },
      {
        name: 'lifeline undici, shared history',
        run: lifelineFaulty('undici', () => history),
        beforeSeries: () => {
          history = new LinkHistory(); // each chunk size's series starts knowing nothing of the link
        },
      },
      ...(quick ? [] : [{ name: 'lifeline fetch', run: lifelineFaulty('fetch') }]),
    ];
    const bars = [
      ['lifeline undici', 'one upload knowing nothing of the link, as in a fresh process'],
      ['lifeline undici, shared history', 'a series in one process, sharing what it learns: the default'],
    ] as const;
    stock = await benchServer('stock');
    const servers = [
      { rig: stock, title: '@tus/server 2.4.5 with @tus/file-store as its README sets them up' },
      { rig, title: "lifeline's server (it keeps every byte that arrived before a reset)" },
    ];
    for (const server of servers) {
      console.log(`\n  on ${server.title}:`);
      const result = await measureResent({
        rig: server.rig,
        fileBytes: size,
        chunks: CHUNKS,
        meanResetBytes: MEAN_RESET_BYTES,
        seeds: resetRuns,
        contenders: faultContenders,
      });
      for (const chunk of CHUNKS)
        for (const [name, what] of bars) printResentBar(result, chunk, reference, name, what);
    }
    const all = await rig.uploads();
    const allIntact = all.every((upload) => upload.verified && upload.sha256 === file.sha256);
    const onStock = await stock.uploads();
    const stockIntact = onStock.every((upload) => upload.sha256 === file.sha256);
    console.log(
      `  ${all.length} uploads to lifeline's server, ${allIntact ? 'every one' : 'NOT every one'} verified by its SHA-256;` +
        ` ${onStock.length} to @tus/server, ${stockIntact ? 'every one' : 'NOT every one'} byte-identical (hashed after)`,
    );
  } finally {
    await stock?.close();
    await rig.close();
    file.remove();
  }
}
