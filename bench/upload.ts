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
 *    the same seeds for each client; see upload-resets.ts for how the chaos proxy does it): bytes sent
 *    again as a share of the file, from the proxy's count of bytes forwarded minus the file and the
 *    request headers (per-request header size measured on a run through the proxy without faults).
 *    lifeline twice: each upload on its own (it knows nothing of the link when it starts, as a single
 *    upload in a fresh process), and the series sharing a LinkHistory (as the uploads of lifeline's
 *    runtime do: after the series' first reset, each upload is paced from its first byte). tus-js-client
 *    has no such memory. The proxies of one series listen on one port, so its uploads all go to one
 *    server (origin), as a series of uploads does. `--quick` leaves out the fetch transport here.
 *
 * The server keeps every byte it received when a connection drops (src/server/kept-body.ts), for both
 * clients alike: what is re-sent is what was still on the way (in socket buffers) when the reset came.
 * During the resets the server process and this one run on CPUs of their own (cpu-pinning.ts): sharing
 * them, the scheduler sometimes parked the server for ~10 ms while its socket buffers filled, which two
 * machines never do (lifeline, whose client reads its next chunk on another thread, lost 6 uploads of 48
 * at 4 MiB that way in three unpinned runs, tus-js-client none; pinned, 0 of 56; docs/design-notes.md).
 * Pinned, a loss is a rare event for both clients (a pause of the server as a reset comes: about one
 * upload in a hundred), which eight uploads sample poorly: `--reset-rounds=N` replays the seeds N times.
 */
import { ChaosProxy } from '../src/testing/index.js';
import { LinkHistory } from '../src/transfer/link-history.js';
import { type Pinning, pinApart } from './cpu-pinning.js';
import { type BenchOptions, formatRatio, median } from './harness.js';
import { resetProxy } from './upload-resets.js';
import {
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
/**
 * What the re-sent share can resolve: the request headers are subtracted at their mean size, which is off
 * by up to ~100 bytes a request, and a series sends about a thousand requests per 800 MB.
 */
const RESOLUTION_SHARE = 0.0002;
/**
 * An upload that re-sent more than this lost real data at some reset, not just header-size noise. The
 * count of such uploads shows whether a share comes from every reset or from a few rare ones (a server
 * stall at the moment of a reset), which eight uploads sample poorly.
 */
const LOSSY_UPLOAD_BYTES = 64 * 1024;
/** tus-js-client's retry delays; attempts reset whenever the offset advances (in both clients). */
const RETRY_DELAYS_MS = [0, 100, 200, 500, 1000];
const RETRY_SCHEDULE = [...RETRY_DELAYS_MS, ...RETRY_DELAYS_MS, ...RETRY_DELAYS_MS, ...RETRY_DELAYS_MS];
const lifelineBackoff = {
  maxDelayMs: Math.max(...RETRY_DELAYS_MS),
  delayMs: (attempt: number) => RETRY_DELAYS_MS[(attempt - 1) % RETRY_DELAYS_MS.length] as number,
};

const mbps = (bytes: number, ms: number) => bytes / MiB / (ms / 1000);
const gc = () => (globalThis as { gc?: () => void }).gc?.();
const pass = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
const chunkLabel = (chunk: number) => `${chunk / MiB} MiB`;

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
  let pinning: Pinning | undefined;
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

    // 2. Resets.
    console.log(
      `\nre-sent bytes: every connection reset after Exp(mean ${MEAN_RESET_BYTES / MiB} MiB) client→server bytes,` +
        ` seeds ${seeds.join(', ')}${resetRounds > 1 ? ` (${resetRounds} rounds)` : ''} for each client;` +
        ` ${size / MiB} MB file`,
    );
    console.log(
      `  retry delays ${RETRY_DELAYS_MS.join('/')} ms for both (attempts reset when the offset advances)`,
    );
    pinning = pinApart(rig.pid);
    console.log(`  CPUs: ${pinning.description}`);
    // `lifeline undici, shared history`: the runs of one chunk size share a LinkHistory, as the uploads of
    // lifeline's runtime do — after the first reset of the series, each upload is paced from its start.
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
    const faultContenders: Array<{
      name: string;
      run: (chunk: number, endpoint: string) => Promise<RunResult>;
    }> = [
      {
        name: 'tus-js-client 4.3.1',
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
      { name: 'lifeline undici, shared history', run: lifelineFaulty('undici', () => history) },
      ...(quick ? [] : [{ name: 'lifeline fetch', run: lifelineFaulty('fetch') }]),
    ];
    const nameWidth = Math.max(...faultContenders.map((contender) => contender.name.length));
    console.log(
      `  ${'client'.padEnd(nameWidth)}  chunk  header B/req  resets  connections  requests   re-sent  per reset    share   time` +
        '  lossy uploads  worst upload',
    );
    const shares = new Map<string, number>();
    const lossyUploads = new Map<string, number>();
    for (const chunk of CHUNKS) {
      history = new LinkHistory(); // each chunk size's series starts knowing nothing of the link
      for (const contender of faultContenders) {
        // A run without faults through the proxy: what the headers of one request weigh.
        const clean = await new ChaosProxy({ upstream: { port: rig.port } }).start();
        const cleanRun = await contender.run(chunk, `${clean.url}/files/`);
        const headerBytes = (clean.counters.bytesUpstream - size) / cleanRun.requests;
        await clean.stop();
        await rig.clear();
        let resent = 0;
        let resets = 0;
        let requests = 0;
        let connections = 0;
        let ms = 0;
        let proxyPort = 0;
        const perUpload: number[] = [];
        for (const seed of resetRuns) {
          const faulty = await resetProxy(rig.port, seed, MEAN_RESET_BYTES, proxyPort);
          proxyPort = faulty.proxy.port;
          const result = await contender.run(chunk, `${faulty.proxy.url}/files/`);
          const { bytesUpstream, resetsInjected, connectionsAccepted } = faulty.proxy.counters; // before stop(), which resets too
          await faulty.stop();
          await rig.clear();
          const uploadResent = bytesUpstream - size - result.requests * headerBytes;
          perUpload.push(uploadResent);
          resent += uploadResent;
          resets += resetsInjected;
          requests += result.requests;
          connections += connectionsAccepted;
          ms += result.ms;
        }
        const share = resent / (size * resetRuns.length);
        const lossy = perUpload.filter((bytes) => bytes > LOSSY_UPLOAD_BYTES).length;
        shares.set(`${contender.name}@${chunk}`, share);
        lossyUploads.set(`${contender.name}@${chunk}`, lossy);
        console.log(
          `  ${contender.name.padEnd(nameWidth)}  ${chunkLabel(chunk).padEnd(5)}  ${headerBytes.toFixed(0).padStart(12)}` +
            `  ${String(resets).padStart(6)}  ${String(connections).padStart(11)}  ${String(requests).padStart(8)}` +
            `  ${(resent / MiB).toFixed(2).padStart(5)} MB  ${(resets ? resent / resets / 1024 : 0).toFixed(1).padStart(6)} KB` +
            `  ${(share * 100).toFixed(2).padStart(6)}%  ${(ms / 1000).toFixed(1).padStart(4)} s` +
            `  ${`${lossy} of ${resetRuns.length}`.padStart(13)}` +
            `  ${(Math.max(0, ...perUpload) / 1024).toFixed(0).padStart(9)} KB${worstSeed(perUpload, resetRuns)}`,
        );
      }
    }
    pinning.undo();
    const bars = [
      ['lifeline undici', 'one upload, knowing nothing of the link'],
      ['lifeline undici, shared history', 'the uploads of a series sharing the link’s history'],
    ];
    for (const chunk of CHUNKS) {
      const reference = shares.get(`tus-js-client 4.3.1@${chunk}`) as number;
      for (const [name, what] of bars) {
        const ours = shares.get(`${name}@${chunk}`) as number;
        // Below the resolution the bar is: lifeline re-sends nothing measurable either.
        const ok = ours <= Math.max(reference / 2, RESOLUTION_SHARE);
        const verdict =
          reference < RESOLUTION_SHARE
            ? `tus-js-client below the ${(RESOLUTION_SHARE * 100).toFixed(2)}% resolution: lifeline must be too, ${pass(ok)}`
            : `${formatRatio(ours / reference)} ${pass(ok)}`;
        console.log(
          `  bar: lifeline re-sends ≤ half of tus-js-client's share at ${chunkLabel(chunk)} (${what}) → ` +
            `${(ours * 100).toFixed(2)}% vs ${(reference * 100).toFixed(2)}% (${verdict})` +
            rareLossNote(ok, lossyUploads.get(`${name}@${chunk}`) as number, resetRuns.length),
        );
      }
    }
    const all = await rig.uploads();
    const allIntact = all.every((upload) => upload.verified && upload.sha256 === file.sha256);
    console.log(
      `  ${all.length} uploads in all, ${allIntact ? 'every one' : 'NOT every one'} verified by the server's SHA-256`,
    );
  } finally {
    pinning?.undo();
    await rig.close();
    file.remove();
  }
}

/**
 * A failed bar that one or two lossy uploads decide says so: such losses are rare events for both clients
 * (a pause of the server at the instant of a reset), which a sample of eight uploads cannot compare.
 */
function rareLossNote(ok: boolean, lossy: number, uploads: number): string {
  if (ok || lossy > 2) return '';
  return `\n       decided by ${lossy} lossy upload${lossy === 1 ? '' : 's'} of ${uploads}, a rare event for both clients: --reset-rounds=50 compares 400`;
}

/** The seed of the upload that re-sent the most, when it re-sent enough to count as lossy: to replay it. */
function worstSeed(perUpload: number[], seeds: number[]): string {
  const worst = Math.max(...perUpload);
  return worst > LOSSY_UPLOAD_BYTES ? ` (seed ${seeds[perUpload.indexOf(worst)]})` : '';
}
