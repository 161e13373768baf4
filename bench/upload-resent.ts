/**
 * bench/upload, part 2: bytes sent again when connections reset. Every connection is reset after an
 * exponentially distributed number of client→server bytes (the same seeds for each client; see
 * upload-resets.ts for how the chaos proxy does it). What a client re-sent is the proxy's count of bytes
 * forwarded minus the file and the request headers (per-request header size measured on a run through the
 * proxy without faults). The contenders take turns upload by upload, so that a drift of the server's
 * state over a series falls on all of them alike.
 *
 * During the resets the server process and this one run on CPUs of their own (cpu-pinning.ts), as two
 * machines would: sharing them, the scheduler parked the server now and then while its socket buffers
 * filled, which adds losses no client causes (docs/design-notes.md).
 */
import { ChaosProxy } from '../src/testing/index.js';
import { pinApart } from './cpu-pinning.js';
import { formatRatio } from './harness.js';
import { resetProxy } from './upload-resets.js';
import { type BenchRig, MiB, type RunResult } from './upload-rig.js';

/**
 * What the re-sent share can resolve: the request headers are subtracted at their mean size, which is off
 * by up to ~100 bytes a request, and a series sends about a thousand requests per 800 MB.
 */
export const RESOLUTION_SHARE = 0.0002;
/**
 * An upload that re-sent more than this lost real data at some reset, not just header-size noise. The
 * count of such uploads shows whether a share comes from every reset or from a few rare ones.
 */
const LOSSY_UPLOAD_BYTES = 64 * 1024;

export interface FaultContender {
  name: string;
  run: (chunkSize: number, endpoint: string) => Promise<RunResult>;
  /** Called before each chunk size's series (a shared link history starts afresh). */
  beforeSeries?: () => void;
}

export interface ResentSeries {
  rig: BenchRig;
  fileBytes: number;
  chunks: number[];
  meanResetBytes: number;
  /** One upload per seed, in order. */
  seeds: number[];
  contenders: FaultContender[];
}

/** Per `name@chunk`: the re-sent share of all bytes uploaded, and how many uploads lost real data. */
export interface ResentResult {
  shares: Map<string, number>;
  lossyUploads: Map<string, number>;
  uploads: number;
}

export const seriesKey = (name: string, chunk: number) => `${name}@${chunk}`;
export const chunkLabel = (chunk: number) => `${chunk / MiB} MiB`;

interface Tally {
  headerBytes: number;
  /** Its own port for each contender: a series' uploads all go to one server (origin), as in use. */
  proxyPort: number;
  resets: number;
  connections: number;
  requests: number;
  ms: number;
  /** Bytes re-sent by each upload, in the order of the seeds. */
  perUpload: number[];
}

/** A run without faults through the proxy: what the headers of one request weigh. */
async function headerBytesOf(
  contender: FaultContender,
  chunk: number,
  { rig, fileBytes }: ResentSeries,
): Promise<Omit<Tally, 'perUpload'>> {
  const clean = await new ChaosProxy({ upstream: { port: rig.port } }).start();
  const cleanRun = await contender.run(chunk, `${clean.url}/files/`);
  const headerBytes = (clean.counters.bytesUpstream - fileBytes) / cleanRun.requests;
  await clean.stop();
  await rig.clear();
  return { headerBytes, proxyPort: 0, resets: 0, connections: 0, requests: 0, ms: 0 };
}

/** One upload through a proxy that resets connections as `seed` draws. */
async function resetRun(
  contender: FaultContender,
  chunk: number,
  seed: number,
  { rig, fileBytes, meanResetBytes }: ResentSeries,
  tally: Tally,
): Promise<void> {
  const faulty = await resetProxy(rig.port, seed, meanResetBytes, tally.proxyPort);
  tally.proxyPort = faulty.proxy.port;
  const result = await contender.run(chunk, `${faulty.proxy.url}/files/`);
  const { bytesUpstream, resetsInjected, connectionsAccepted } = faulty.proxy.counters; // before stop(), which resets too
  await faulty.stop();
  await rig.clear();
  tally.perUpload.push(bytesUpstream - fileBytes - result.requests * tally.headerBytes);
  tally.resets += resetsInjected;
  tally.requests += result.requests;
  tally.connections += connectionsAccepted;
  tally.ms += result.ms;
}

/** Runs every contender's series at every chunk size and prints one row each. */
export async function measureResent(series: ResentSeries): Promise<ResentResult> {
  const { rig, fileBytes, chunks, seeds, contenders } = series;
  const pinning = pinApart(rig.pid);
  console.log(`  CPUs: ${pinning.description}`);
  const nameWidth = Math.max(...contenders.map((contender) => contender.name.length));
  console.log(
    `  ${'client'.padEnd(nameWidth)}  chunk  header B/req  resets  connections  requests   re-sent  per reset    share   time` +
      '  lossy uploads  worst upload',
  );
  const shares = new Map<string, number>();
  const lossyUploads = new Map<string, number>();
  try {
    for (const chunk of chunks) {
      const tallies = new Map<FaultContender, Tally>();
      for (const contender of contenders) {
        contender.beforeSeries?.();
        tallies.set(contender, { ...(await headerBytesOf(contender, chunk, series)), perUpload: [] });
      }
      // Seed by seed, every contender in turn (who goes first rotates): the server's mood drifts over a
      // series (its page cache, the machine's other work), and must fall on all contenders alike.
      for (const [index, seed] of seeds.entries()) {
        for (let turn = 0; turn < contenders.length; turn++) {
          const contender = contenders[(turn + index) % contenders.length] as FaultContender;
          await resetRun(contender, chunk, seed, series, tallies.get(contender) as Tally);
        }
      }
      for (const contender of contenders) {
        const tally = tallies.get(contender) as Tally;
        const resent = tally.perUpload.reduce((sum, bytes) => sum + bytes, 0);
        const share = resent / (fileBytes * seeds.length);
        const lossy = tally.perUpload.filter((bytes) => bytes > LOSSY_UPLOAD_BYTES).length;
        shares.set(seriesKey(contender.name, chunk), share);
        lossyUploads.set(seriesKey(contender.name, chunk), lossy);
        console.log(
          `  ${contender.name.padEnd(nameWidth)}  ${chunkLabel(chunk).padEnd(5)}  ${tally.headerBytes.toFixed(0).padStart(12)}` +
            `  ${String(tally.resets).padStart(6)}  ${String(tally.connections).padStart(11)}  ${String(tally.requests).padStart(8)}` +
            `  ${(resent / MiB).toFixed(2).padStart(5)} MB  ${(tally.resets ? resent / tally.resets / 1024 : 0).toFixed(1).padStart(6)} KB` +
            `  ${(share * 100).toFixed(2).padStart(6)}%  ${(tally.ms / 1000).toFixed(1).padStart(4)} s` +
            `  ${`${lossy} of ${seeds.length}`.padStart(13)}` +
            `  ${(Math.max(0, ...tally.perUpload) / 1024).toFixed(0).padStart(9)} KB${worstSeed(tally.perUpload, seeds)}`,
        );
      }
    }
  } finally {
    pinning.undo();
  }
  return { shares, lossyUploads, uploads: seeds.length };
}

/**
 * One bar line: lifeline's share against the reference client's, at most half of it. Below the
 * resolution the bar is: lifeline re-sends nothing measurable either. Returns whether it passed.
 */
export function printResentBar(
  result: ResentResult,
  chunk: number,
  reference: string,
  ours: string,
  what: string,
): boolean {
  const referenceShare = result.shares.get(seriesKey(reference, chunk)) as number;
  const ourShare = result.shares.get(seriesKey(ours, chunk)) as number;
  const ok = ourShare <= Math.max(referenceShare / 2, RESOLUTION_SHARE);
  const verdict =
    referenceShare < RESOLUTION_SHARE
      ? `${reference} below the ${(RESOLUTION_SHARE * 100).toFixed(2)}% resolution: lifeline must be too, ${pass(ok)}`
      : `${formatRatio(ourShare / referenceShare)} ${pass(ok)}`;
  console.log(
    `  bar: lifeline re-sends ≤ half of ${reference}'s share at ${chunkLabel(chunk)} (${what}) → ` +
      `${(ourShare * 100).toFixed(2)}% vs ${(referenceShare * 100).toFixed(2)}% (${verdict})` +
      rareLossNote(ok, result.lossyUploads.get(seriesKey(ours, chunk)) as number, result.uploads),
  );
  return ok;
}

export const pass = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

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
