import { basename } from 'node:path';
import { formatDuration } from '../core/format.js';
import { formatBytes } from '../core/units.js';
import type { Runtime } from '../node/runtime.js';
import type { UploadOperation } from '../node/upload-operation.js';
import { clockTime, type Output, paint } from './output.js';
import { bar, ProgressBoard } from './progress-board.js';

/**
 * Shows every upload this process runs: a live bar per file (bytes, rate, ETA, retries) and a final line
 * when it completes — or, with `json`, progress and outcome events. Returns the function that stops.
 */
export function followUploads(runtime: Runtime, output: Output, json: boolean): () => void {
  const board = new ProgressBoard(output, output.terminal && !json);
  const offs: Array<() => void> = [];
  offs.push(
    runtime.uploads.on('started', ({ item, upload }) => {
      const operation = item.payload as UploadOperation;
      const name = basename(operation.path);
      const key = `#${item.id}`;
      let retries = 0;
      const say = (event: string, fields: Record<string, unknown>) =>
        output.json({ event, at: new Date().toISOString(), id: item.id, file: operation.path, ...fields });
      const stops = [
        upload.on('progress', (progress) => {
          if (json) return say('progress', progress);
          // How far the bytes sent reach: on a slow link one chunk is acknowledged only after minutes.
          const share = progress.totalBytes === 0 ? 1 : progress.sentUpToBytes / progress.totalBytes;
          const eta = progress.etaMs === undefined ? '' : `  ETA ${formatDuration(progress.etaMs)}`;
          board.set(
            key,
            `${key} ${name}  ${bar(share)} ${String(Math.floor(share * 100)).padStart(3)}%  ` +
              `${formatBytes(progress.sentUpToBytes)} / ${formatBytes(progress.totalBytes)}  ` +
              `${formatBytes(progress.bytesPerSecond)}/s${eta}${retries > 0 ? `  retries ${retries}` : ''}`,
          );
        }),
        upload.on('retry', ({ attempt, delayMs, failure }) => {
          retries++;
          if (json) return say('retry', { attempt, delayMs, reason: failure.message });
          board.note(
            `${paint(output, 'grey', clockTime())} ${key} ${name}: ${failure.message} — retrying in ${formatDuration(delayMs)}`,
          );
        }),
        upload.on('stalled', ({ offset, stallTimeoutMs }) => {
          if (json) return say('stalled', { offset, stallTimeoutMs });
          board.note(
            `${paint(output, 'grey', clockTime())} ${key} ${name}: stalled at ${formatBytes(offset)}, resuming`,
          );
        }),
        upload.on('resumed', ({ offset, reason }) => {
          if (json) return say('resumed', { offset, reason });
          if (offset > 0)
            board.note(
              `${paint(output, 'grey', clockTime())} ${key} ${name}: resuming at ${formatBytes(offset)}`,
            );
        }),
        upload.on('waitingForLink', () => {
          if (!json)
            board.note(
              `${paint(output, 'grey', clockTime())} ${key} ${name}: waiting for the link (${runtime.linkUrl} is unreachable or failing)`,
            );
        }),
        upload.on('completed', (result) => {
          for (const stop of stops) stop();
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
    }),
  );
  return () => {
    for (const off of offs) off();
  };
}
