import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { formatBytes } from '../../core/units.js';
import { FileSource } from '../../node/file-source.js';
import type { UploadOperation } from '../../node/upload-operation.js';
import type { QueueItem } from '../../queue/types.js';
import type { UploadRecord, UploadWait } from '../../transfer/upload-state-store.js';
import { COMMON_OPTIONS, type Command, EXIT, withRuntime } from '../command.js';
import { endedHolder, itemReason } from '../describe-item.js';
import { clockTime, type Output, paint, table } from '../output.js';
import { ago, fromNow } from '../time-text.js';
import { UploadWaits, waitText } from '../upload-waits.js';

const HELP = `lifeline uploads — what is being uploaded, how far it got, and what failed and why

Usage: lifeline uploads [--all] [--json]

  --all    include completed uploads (default: the last 10)`;

export const uploadsCommand: Command = {
  name: 'uploads',
  summary: 'show uploads in flight, how far they are, and what failed and why',
  help: HELP,
  async run(args, output) {
    const { values } = parseArgs({
      args,
      strict: true,
      options: { all: { type: 'boolean' }, ...COMMON_OPTIONS },
    });
    return withRuntime(values.config, async (runtime) => {
      const active = await runtime.queue.list({
        kind: 'upload',
        status: ['running', 'pending', 'dead'],
        limit: 1000,
      });
      const completed = await runtime.queue.list({
        kind: 'upload',
        status: 'completed',
        limit: values.all ? 1000 : 10,
      });
      const records = await runtime.uploadState.list();
      const waits = await UploadWaits.read(runtime.uploadState);
      const paused = await runtime.queue.refreshPaused();
      const rows = await Promise.all(
        [...active, ...completed].map(async (item) => describe(item, records, waits, paused)),
      );
      if (values.json) {
        output.json(rows);
        return EXIT.ok;
      }
      if (rows.length === 0) {
        output.line("no uploads; 'lifeline send <file>' queues one");
        return EXIT.ok;
      }
      const colour = { pending: 'yellow', running: 'blue', completed: 'green', dead: 'red' } as const;
      const lines = [['ID', 'FILE', 'STATUS', 'PROGRESS', 'TRIES', 'NEXT', 'QUEUED', 'WHY']];
      for (const row of rows) {
        lines.push([
          `#${row.id}`,
          row.file,
          row.endedHolderPid === undefined
            ? paint(output, colour[row.status], row.status)
            : paint(output, 'yellow', 'interrupted'),
          row.size === undefined
            ? '?'
            : `${formatBytes(row.sentUpToBytes)} / ${formatBytes(row.size)} (${row.percent}%)`,
          `${row.attempts}/${row.maxAttempts}`,
          row.status === 'pending' ? fromNow(row.nextAttemptAtMs) : '',
          ago(row.createdAtMs),
          row.reason ?? '',
        ]);
      }
      for (const line of table(lines)) output.line(line);
      summary(output, rows);
      return EXIT.ok;
    });
  },
};

interface UploadRow {
  id: number;
  file: string;
  path: string;
  endpoint: string;
  status: QueueItem['status'];
  /** A running item's process ended (killed, crashed): nothing sends it until an agent or sync takes it back. */
  endedHolderPid?: number;
  size: number | undefined;
  /** The last offset the server acknowledged. */
  acknowledgedBytes: number;
  /** How far the bytes sent reach: past `acknowledgedBytes` while a PATCH is in flight (a running upload). */
  sentUpToBytes: number;
  /** Of `sentUpToBytes`. */
  percent: number;
  attempts: number;
  maxAttempts: number;
  nextAttemptAtMs: number;
  createdAtMs: number;
  /** What a running upload waits for while no byte moves. */
  waiting?: UploadWait;
  reason?: string;
}

async function describe(
  item: QueueItem,
  records: UploadRecord[],
  waits: UploadWaits,
  queuePaused: boolean,
): Promise<UploadRow> {
  const operation = item.payload as UploadOperation;
  const source = await FileSource.open(operation.path).catch(() => undefined);
  await source?.close();
  // A completed upload's size is what was sent: the file may have changed (and be queued again) since.
  const sentSize = (item.result as { size?: number } | undefined)?.size;
  const size = item.status === 'completed' ? (sentSize ?? source?.size) : (source?.size ?? sentSize);
  const record = source
    ? records.find((r) => r.fingerprint === source.fingerprint && r.endpoint === operation.endpoint)
    : undefined;
  const acknowledgedBytes = item.status === 'completed' ? (size ?? 0) : (record?.offset ?? 0);
  const endedPid = endedHolder(item);
  const sending = item.status === 'running' && endedPid === undefined;
  const wait = sending && source ? waits.find(source.fingerprint, operation.endpoint) : undefined;
  // Only a running upload is still sending: a stopped one's last note may be bytes the server never got.
  const sentUpToBytes = sending ? Math.max(acknowledgedBytes, record?.sentUpToBytes ?? 0) : acknowledgedBytes;
  // A sent file deleted since is no problem; one still to send is.
  const reason =
    item.status === 'completed'
      ? undefined
      : (itemReason(
          item,
          endedPid,
          wait ? waitText(wait) : sending ? heldText(queuePaused, record) : undefined,
        ) ?? (source ? undefined : 'the file is gone'));
  return {
    id: item.id,
    file: basename(operation.path),
    path: operation.path,
    endpoint: operation.endpoint,
    status: item.status,
    ...(endedPid === undefined ? {} : { endedHolderPid: endedPid }),
    ...(wait ? { waiting: wait } : {}),
    size,
    acknowledgedBytes,
    sentUpToBytes,
    percent: size ? Math.floor((sentUpToBytes / size) * 100) : item.status === 'completed' ? 100 : 0,
    attempts: item.attempts,
    maxAttempts: item.maxAttempts,
    nextAttemptAtMs: item.nextAttemptAtMs,
    createdAtMs: item.createdAtMs,
    ...(reason ? { reason } : {}),
  };
}

/**
 * A running upload's record is updated while bytes move (every 2 s) and at each acknowledged PATCH (every
 * 10 s or so on a slow link, whose PATCHes follow its rate): one untouched for longer is stalled, until
 * its watchdog cuts the PATCH and the retry it notes says more.
 */
const STILL_AFTER_MS = 15_000;

/** Why a running upload moves no bytes, when it waits for nothing it noted: the queue's pause, or a stall. */
function heldText(queuePaused: boolean, record: UploadRecord | undefined): string | undefined {
  return queuePaused ? "held while the queue is paused ('lifeline queue resume')" : stillText(record);
}

function stillText(record: UploadRecord | undefined, nowMs = Date.now()): string | undefined {
  if (!record || nowMs - record.updatedAtMs < STILL_AFTER_MS) return undefined;
  return `no bytes since ${clockTime(new Date(record.updatedAtMs))}`;
}

function summary(output: Output, rows: UploadRow[]): void {
  const dead = rows.filter((row) => row.status === 'dead').length;
  const waiting = rows.filter((row) => row.status === 'pending' || row.status === 'running').length;
  output.line(
    `${waiting} in flight or waiting${dead > 0 ? `, ${dead} failed — 'lifeline queue retry <id>' tries one again` : ''}`,
  );
}
