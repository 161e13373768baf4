import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { plural } from '../../core/format.js';
import { SourceMissingError } from '../../node/file-source.js';
import type { Runtime } from '../../node/runtime.js';
import type { UploadOperation } from '../../node/upload-operation.js';
import { COMMON_OPTIONS, type Command, EXIT, UsageError, withRuntime } from '../command.js';
import { followUploads } from '../follow-uploads.js';
import { interruption, pause } from '../interrupt.js';
import type { Output } from '../output.js';
import { reportQueue } from '../queue-events.js';
import {
  describeQueued,
  endpointFlag,
  openUploadable,
  queueUpload,
  uploadFlags,
} from '../upload-queueing.js';

const HELP = `lifeline send — upload files, resumably

Usage: lifeline send <file...> [--to <tus endpoint>] [--priority N] [--limit <rate>] [--wait] [--json]

Queues each file for a resumable (tus) upload: the agent sends it when the link is up, resuming from the
last byte the server acknowledged after any drop, stall or restart. The same unchanged file is queued once.

  --to <url>        tus endpoint (default: transfer.endpoint, or <server>/files/); on another host
                    than the configured server, --wait judges the link by this endpoint
  --priority N      higher goes first (default 0)
  --limit <rate>    this upload's bandwidth, e.g. 2mbit, 256KB/s
  --wait            upload now, with a progress bar per file, until done (exit 1 if any failed or
                    was left queued by Ctrl-C); the queue's other pending work runs too
  --json            events as JSON lines`;

export const sendCommand: Command = {
  name: 'send',
  summary: 'queue files for resumable upload (--wait: upload now, with progress)',
  help: HELP,
  async run(args, output) {
    const { values, positionals } = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        to: { type: 'string' },
        priority: { type: 'string' },
        limit: { type: 'string' },
        wait: { type: 'boolean' },
        ...COMMON_OPTIONS,
      },
    });
    if (positionals.length === 0)
      throw new UsageError('send needs at least one file, e.g. lifeline send notes.pdf --wait');
    const flags = uploadFlags(values);
    const to = endpointFlag(values.to);
    const link = to === undefined ? {} : { linkProbeUrl: to };
    return withRuntime(
      values.config,
      async (runtime) => {
        const endpoint = to ?? runtime.uploadEndpoint;
        const ids: number[] = [];
        let queuedAny = false;
        // A file named on the command line that is not there is a usage error; a store failure is not.
        const asUsage = (error: unknown) => {
          throw error instanceof SourceMissingError ? new UsageError(error.message) : error;
        };
        // Every file is checked before any is queued: one mistyped name queues nothing.
        const sources = [];
        for (const path of positionals) sources.push(await openUploadable(path).catch(asUsage));
        for (const [index, source] of sources.entries()) {
          const path = positionals[index] as string;
          const queued = await queueUpload(runtime, source, { endpoint, ...flags });
          ids.push(queued.item.id);
          queuedAny ||= queued.fresh;
          if (values.json)
            output.json({
              event: queued.fresh ? 'queued' : 'known',
              at: new Date().toISOString(),
              id: queued.item.id,
              file: (queued.item.payload as UploadOperation).path, // absolute, as in every later event
              status: queued.item.status,
              ...(queued.keptSettings ? { keeps: queued.keptSettings } : {}),
            });
          else output.line(describeQueued(queued, basename(path)));
        }
        if (!values.wait) {
          if (!values.json && queuedAny)
            output.line("the agent sends them when the link is up ('lifeline agent'), or use --wait");
          return EXIT.ok;
        }
        return await uploadNow(runtime, ids, output, values.json === true);
      },
      link,
    );
  },
};

/** Runs the worker here until the given items are completed or dead; Ctrl-C stops it (they stay queued). */
async function uploadNow(runtime: Runtime, ids: number[], output: Output, json: boolean): Promise<number> {
  const view = followUploads(runtime, output, json);
  const stopReporting = reportQueue(runtime.queue, view.output, json, { uploadsFollowed: true });
  // The worker runs the whole queue by priority, not only these files: the summary says what else went.
  let othersSent = 0;
  const stopCounting = runtime.queue.on('completed', ({ item }) => {
    if (!ids.includes(item.id)) othersSent++;
  });
  runtime.connectivity.start();
  runtime.queue.start();
  const interrupted = interruption();
  try {
    let finished = false;
    while (!finished && !interrupted.signal.aborted) {
      await pause(200, interrupted.signal);
      const items = await Promise.all(ids.map((id) => runtime.queue.get(id)));
      finished = items.every(
        (item) => item === undefined || item.status === 'completed' || item.status === 'dead',
      );
    }
  } finally {
    interrupted.dispose();
  }
  await runtime.queue.stop(interrupted.signal.aborted ? 2000 : 10_000);
  view.stop();
  stopReporting();
  const items = await Promise.all(ids.map((id) => runtime.queue.get(id)));
  const dead = items.filter((item) => item?.status === 'dead').length;
  const sent = items.filter((item) => item?.status === 'completed').length;
  stopCounting();
  if (json)
    output.json({
      event: 'summary',
      at: new Date().toISOString(),
      sent,
      dead,
      waiting: ids.length - sent - dead,
      othersSent,
    });
  else
    output.line(
      `${sent} of ${ids.length} sent${dead > 0 ? `, ${dead} failed ('lifeline uploads' says why)` : ''}${sent + dead < ids.length ? '; the rest stay queued' : ''}` +
        (othersSent > 0 ? `; the queue also sent ${plural(othersSent, 'operation')} queued before` : ''),
    );
  return dead === 0 && sent === ids.length ? EXIT.ok : EXIT.failed;
}
