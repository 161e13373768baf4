import { basename } from 'node:path';
import stringWidth from 'string-width';
import { type Clock, realClock, type Timer } from '../core/clock.js';
import { formatDuration } from '../core/format.js';
import { formatBytes } from '../core/units.js';
import type { Runtime } from '../node/runtime.js';
import type { UploadOperation } from '../node/upload-operation.js';
import type { ResumableUpload } from '../transfer/resumable-upload.js';
import { SLICE_BYTES } from '../transfer/throttled-slices.js';
import type { UploadEvents } from '../transfer/upload-events.js';
import { clockTime, type Output, paint } from './output.js';
import { BAR_WIDTH, bar, ProgressBoard, shortenMiddle } from './progress-board.js';

/** How long no byte moves before a bar shows that instead of the last rate… */
const STILL_AFTER_MS = 3000;

/** …or, on a slow link, twice the time one slice of the body takes at the last rate. */
export function stillAfterMs(bytesPerSecond: number | undefined): number {
  if (!bytesPerSecond || bytesPerSecond <= 0) return STILL_AFTER_MS;
  return Math.max(STILL_AFTER_MS, ((2 * SLICE_BYTES) / bytesPerSecond) * 1000);
}

/** "no bytes for 12s": what a bar says once `stillAfterMs` has passed with no byte moving. */
export const noBytesFor = (stillMs: number) => `no bytes for ${wholeSeconds(stillMs)}`;

const wholeSeconds = (ms: number) => formatDuration(Math.floor(ms / 1000) * 1000);
/** A file name is never shortened below this, whatever the terminal's width. */
const MIN_NAME_COLUMNS = 12;
/** Nor the bar below this many cells. */
const MIN_BAR_CELLS = 6;

/**
 * On a narrow terminal the name gives way first, then the bar; the figures (size, rate, ETA) never do.
 * `fixedColumns`: everything else on the line.
 */
function fitBar(name: string, columns: number | undefined, fixedColumns: number) {
  const spare = columns ? columns - 1 - fixedColumns : Infinity; // for the name and the bar's cells
  const nameColumns = Math.max(MIN_NAME_COLUMNS, Math.min(stringWidth(name), spare - BAR_WIDTH));
  const barCells = Math.max(MIN_BAR_CELLS, Math.min(BAR_WIDTH, spare - nameColumns));
  return { nameColumns, barCells };
}

export interface UploadsView {
  /** Where everything else the command prints goes while bars are live: above them, not over them. */
  output: Output;
  stop(): void;
}

/**
 * Shows every upload this process runs: a live bar per file (bytes, rate, ETA, retries) and a final line
 * when it completes — or, with `json`, progress and outcome events. A run that fails leaves no bar behind:
 * the queue's own line (retrying, dead) says what happened.
 */
export function followUploads(
  runtime: Runtime,
  output: Output,
  json: boolean,
  clock: Clock = realClock,
): UploadsView {
  const board = new ProgressBoard(output, output.terminal && !json);
  const offs: Array<() => void> = [];
  const runStops = new Map<ResumableUpload, () => void>();
  offs.push(
    runtime.uploads.on('ended', ({ item, upload, completed }) => {
      runStops.get(upload)?.();
      runStops.delete(upload);
      if (!completed) board.drop(`#${item.id}`);
    }),
  );
  offs.push(
    runtime.uploads.on('started', ({ item, upload }) => {
      const operation = item.payload as UploadOperation;
      const name = basename(operation.path);
      const key = `#${item.id}`;
      let retries = 0;
      const say = (event: string, fields: Record<string, unknown>) =>
        output.json({ event, at: new Date().toISOString(), id: item.id, file: operation.path, ...fields });
      let lastProgress: UploadEvents['progress'] | undefined;
      let lastMovedAtMs = clock.now();
      let still: Timer | undefined; // see drawStill
      /** The bar shows a wait the upload named (the link, a retry): it says more than "no bytes". */
      let namedWait = false;
      // The bar, with the rate and ETA while bytes move, else what the upload waits for (a stale rate
      // would claim a speed the link no longer has).
      const drawBar = (waitingFor?: string, named = waitingFor !== undefined) => {
        namedWait = named;
        const progress = lastProgress;
        if (json || !progress) return;
        // How far the bytes sent reach: on a slow link one chunk is acknowledged only after minutes.
        const share = progress.totalBytes === 0 ? 1 : progress.sentUpToBytes / progress.totalBytes;
        // Every byte sent: the wait is the server's answer, no ETA ("ETA 0ms") to show.
        const allSent = progress.sentUpToBytes >= progress.totalBytes;
        const eta = progress.etaMs === undefined || allSent ? '' : `  ETA ${formatDuration(progress.etaMs)}`;
        const figures =
          ` ${String(Math.floor(share * 100)).padStart(3)}%  ` +
          `${formatBytes(progress.sentUpToBytes)} / ${formatBytes(progress.totalBytes)}  ` +
          (waitingFor ??
            // No rate yet (the first bytes only just left): "0 B/s" would say the link carries nothing.
            (progress.bytesPerSecond < 1 && !allSent
              ? 'measuring…'
              : `${formatBytes(progress.bytesPerSecond)}/s${eta}`)) +
          (retries > 0 ? `  retries ${retries}` : '');
        const { nameColumns, barCells } = fitBar(name, output.columns, stringWidth(`${key}   []${figures}`));
        board.set(key, `${key} ${shortenMiddle(name, nameColumns)}  ${bar(share, barCells)}${figures}`);
      };
      const stops = [
        upload.on('progress', (progress) => {
          if (json) return say('progress', progress);
          if (progress.bytesSent !== lastProgress?.bytesSent) lastMovedAtMs = clock.now();
          lastProgress = progress;
          drawBar();
        }),
        upload.on('retry', ({ attempt, delayMs, failure }) => {
          retries++;
          if (json) return say('retry', { attempt, delayMs, reason: failure.message });
          board.note(
            `${paint(output, 'grey', clockTime())} ${key} ${name}: ${failure.message} — retrying in ${formatDuration(delayMs)}`,
          );
          drawBar(`retrying at ${clockTime(new Date(Date.now() + delayMs))}`);
        }),
        // On a terminal the retry line that follows says it: "upload stalled: no bytes moved for 3.0s at …".
        upload.on('stalled', ({ offset, stallTimeoutMs }) => {
          if (json) say('stalled', { offset, stallTimeoutMs });
        }),
        upload.on('resumed', ({ offset, reason }) => {
          if (json) return say('resumed', { offset, reason });
          if (offset > 0)
            board.note(
              `${paint(output, 'grey', clockTime())} ${key} ${name}: resuming at ${formatBytes(offset)}`,
            );
        }),
        upload.on('waitingForLink', () => {
          // Why the link is judged down ("…connection refused (127.0.0.1:8859)"): a wrong --to shows here.
          const reason = runtime.connectivity?.snapshot().reason;
          if (json) return say('waiting', { for: 'link', linkUrl: runtime.linkUrl, reason });
          board.note(
            `${paint(output, 'grey', clockTime())} ${key} ${name}: waiting for the link — ${runtime.linkUrl}: ` +
              `${reason ?? 'unreachable or failing'}; is it the right address, and its server up?`,
          );
          drawBar('waiting for the link');
        }),
        upload.on('completed', (result) => {
          still?.cancel();
          if (json) return say('uploaded', { ...result });
          const resent = result.bytesSent - (result.size - result.resumedFromOffset);
          board.done(
            key,
            `${paint(output, 'green', '✓')} ${key} ${name}  ${formatBytes(result.size)} in ${formatDuration(result.durationMs)}` +
              (result.resumedFromOffset > 0 ? `, resumed at ${formatBytes(result.resumedFromOffset)}` : '') +
              (resent > 0 ? `, ${formatBytes(resent)} re-sent` : '') +
              ` → ${result.url}`,
          );
        }),
      ];
      // Progress comes only when bytes move: while none do, the bar says so instead of a frozen rate.
      const drawStill = () => {
        const stillMs = clock.now() - lastMovedAtMs;
        if (stillMs >= stillAfterMs(lastProgress?.bytesPerSecond) && !namedWait) {
          const allSent = lastProgress !== undefined && lastProgress.sentUpToBytes >= lastProgress.totalBytes;
          const forText = wholeSeconds(stillMs);
          // Every byte sent: the server is verifying and storing the file. A chunk's every byte sent: on a
          // slow link they still drain from buffers on the way before the server can answer.
          drawBar(
            allSent
              ? `server finishing, ${forText}`
              : lastProgress?.awaitingAnswer
                ? `chunk sent, awaiting its answer, ${forText}`
                : noBytesFor(stillMs),
            false,
          );
        }
        still = clock.setTimer(drawStill, 1000);
        still.unref();
      };
      if (!json) drawStill();
      runStops.set(upload, () => {
        still?.cancel();
        for (const stop of stops) stop();
      });
    }),
  );
  return {
    output: board.sharedOutput,
    stop: () => {
      for (const off of offs) off();
      for (const stop of runStops.values()) stop();
      runStops.clear();
    },
  };
}
