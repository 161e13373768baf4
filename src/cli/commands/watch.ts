import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDurationMs } from '../../core/units.js';
import { DirectoryWatcher } from '../../node/directory-watcher.js';
import { openRuntime } from '../../node/runtime.js';
import { COMMON_OPTIONS, type Command, EXIT, UsageError } from '../command.js';
import { followUploads } from '../follow-uploads.js';
import { untilInterrupted } from '../interrupt.js';
import { reportLink } from '../link-events.js';
import { eventPrinter, paint } from '../output.js';
import { reportQueue } from '../queue-events.js';
import {
  describeQueued,
  endpointFlag,
  queueUpload,
  uploadFlags,
  withdrawUploads,
} from '../upload-queueing.js';

const MIN_INTERVAL_MS = 100;

const HELP = `lifeline watch — upload each new or changed file in a directory

Usage: lifeline watch <dir> [--to <tus endpoint>] [--settle 2s] [--interval 1s] [--recursive]
                            [--priority N] [--limit <rate>] [--queue-only] [--json]

Queues each new or changed file once it has stopped growing for --settle, and uploads it resumably (unless
--queue-only, when a running agent does). Restarting is safe: a file already queued or sent unchanged is
not queued again. A file deleted before it is sent is withdrawn from the queue. Names starting with '.'
and ending in .part, .tmp, .crdownload, .swp or ~ are ignored.`;

export const watchCommand: Command = {
  name: 'watch',
  summary: 'upload each new or changed file in a directory, once it stops growing',
  help: HELP,
  async run(args, output) {
    const { values, positionals } = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        to: { type: 'string' },
        settle: { type: 'string', default: '2s' },
        interval: { type: 'string', default: '1s' },
        recursive: { type: 'boolean' },
        priority: { type: 'string' },
        limit: { type: 'string' },
        'queue-only': { type: 'boolean' },
        ...COMMON_OPTIONS,
      },
    });
    const [target] = positionals;
    if (!target) throw new UsageError('watch needs a directory, e.g. lifeline watch ./outbox');
    const directory = resolve(target);
    const info = await stat(directory).catch(() => undefined);
    if (!info?.isDirectory()) throw new UsageError(`${directory} is not a directory`);
    const flags = uploadFlags(values);
    const settleMs = parseDurationMs(values.settle as string, '--settle');
    const intervalMs = parseDurationMs(values.interval as string, '--interval');
    // Each look lists the directory: more often than ten times a second only burns a core.
    if (intervalMs < MIN_INTERVAL_MS)
      throw new UsageError(`--interval: at least ${MIN_INTERVAL_MS}ms, not '${values.interval}'`);
    const json = values.json === true;

    const to = endpointFlag(values.to);
    const runtime = await openRuntime({
      configPath: values.config,
      ...(to === undefined ? {} : { linkProbeUrl: to }),
    });
    const endpoint = to ?? runtime.uploadEndpoint;
    const watcher = new DirectoryWatcher(directory, {
      settleMs,
      intervalMs,
      recursive: values.recursive === true,
    });
    const view = followUploads(runtime, output, json);
    const say = eventPrinter(view.output, json);
    watcher.on('ready', (file) => {
      queueUpload(runtime, file.path, { endpoint, ...flags }).then(
        (queued) => {
          if (queued.fresh)
            say('queued', describeQueued(queued, basename(file.path)), {
              id: queued.item.id,
              file: file.path,
            });
        },
        (error: unknown) =>
          say('error', paint(view.output, 'red', (error as Error).message), {
            file: file.path,
            error: (error as Error).message,
          }),
      );
    });
    // An outbox: a file deleted before it was sent is withdrawn, not a failure to report.
    watcher.on('gone', ({ path }) => {
      withdrawUploads(runtime, path, endpoint).then(
        (ids) => {
          for (const id of ids)
            say('withdrawn', `withdrawn #${id} ${basename(path)}: deleted before it was sent`, {
              id,
              file: path,
            });
        },
        (error: unknown) => say('error', paint(view.output, 'red', (error as Error).message), { file: path }),
      );
    });
    watcher.on('error', ({ error }) =>
      say('error', paint(view.output, 'red', `cannot read ${directory}: ${(error as Error).message}`), {}),
    );
    const stops = [view.stop, reportQueue(runtime.queue, view.output, json, { uploadsFollowed: true })];
    // While the link is down nothing starts, so no upload says why it waits: the link's own line does.
    if (!values['queue-only']) stops.push(reportLink(runtime, view.output, say));
    say('watching', `watching ${directory} → ${endpoint}${values['queue-only'] ? ' (queueing only)' : ''}`, {
      directory,
      endpoint,
    });
    watcher.start();
    if (!values['queue-only']) {
      runtime.connectivity.start();
      runtime.queue.start();
    }
    await untilInterrupted();
    watcher.stop();
    await runtime.queue.stop(5000);
    for (const stop of stops) stop();
    await runtime.close();
    return EXIT.ok;
  },
};
