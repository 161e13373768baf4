import { parseArgs } from 'node:util';
import { formatDuration, plural } from '../../core/format.js';
import { formatBytes, parseBytes, parseDurationMs } from '../../core/units.js';
import {
  DEFAULT_MAX_BODY_BYTES,
  ListenError,
  RELAYED_EVENTS,
  type ServerThread,
  type ServerThreadInfo,
  startServerThread,
} from '../../server/index.js';
import { type Command, EXIT, UsageError } from '../command.js';
import { untilInterrupted } from '../interrupt.js';
import { clockTime, type EventPrinter, eventPrinter, type Output, paint } from '../output.js';

const HELP = `lifeline serve — the receiving server: records operations exactly once per Idempotency-Key,
receives resumable uploads (tus 1.0)

Usage: lifeline serve [--port 8080] [--host 127.0.0.1] [--data ./lifeline-data] [--sync full|normal]
                      [--max-body 10MiB] [--max-upload 10GiB] [--upload-expiry 24h] [--quiet] [--json]

Options:
  --port <n>         port to listen on (default 8080; 0 picks a free one)
  --host <address>   address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 for others too)
  --data <dir>       where the database and uploads land (default ./lifeline-data; server.db, files/)
  --sync <mode>      full: an acknowledged operation survives power loss (default)
                     normal: survives a crash of the process, faster
  --max-body <size>  largest request body accepted (default 10MiB); larger ones get 413
  --max-upload <size>      largest upload accepted (default 10GiB); larger ones are refused with 413
  --upload-expiry <time>   unfinished uploads untouched this long are deleted (default 24h)
  --quiet            do not print a line per operation or upload
  --json             print JSON event lines instead of text

Endpoints:
  POST /ops/:kind    record an operation; a repeated Idempotency-Key gets the first response again
                     (header Idempotency-Replayed: true); a POST without a key is applied every time
  GET  /ops          what was received, oldest first (?kind=, ?since=<id>, ?limit= up to 10000)
  GET  /ops/:id      one operation
  GET  /health       {"status":"ok","uptimeMs":…,"operations":…}
  /files/            tus 1.0 uploads (creation, creation-with-upload, creation-defer-length, termination,
                     expiration; up to --max-upload; unfinished uploads expire after --upload-expiry). Each file lands in
                     <data>/files/<upload id>. Send Upload-Metadata sha256 (hex): a finished upload whose
                     bytes do not match is deleted and its last request answered 460 Checksum Mismatch

Ctrl-C stops it.`;

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the receiving server (operations with idempotency keys, tus uploads, health)',
  help: HELP,
  async run(args, output) {
    const { values } = parseArgs({
      args,
      strict: true,
      options: {
        port: { type: 'string', default: '8080' },
        host: { type: 'string', default: '127.0.0.1' },
        data: { type: 'string', default: './lifeline-data' },
        sync: { type: 'string', default: 'full' },
        'max-body': { type: 'string' },
        'max-upload': { type: 'string' },
        'upload-expiry': { type: 'string' },
        quiet: { type: 'boolean' },
        json: { type: 'boolean' },
      },
    });
    const port = /^\d+$/.test(values.port) ? Number(values.port) : Number.NaN;
    if (!(port >= 0 && port <= 65_535))
      throw new UsageError(
        `--port: use a number from 0 to 65535 (0 picks a free port), not '${values.port}'`,
      );
    if (values.host.trim() === '') throw new UsageError('--host: give an address, like 127.0.0.1 or 0.0.0.0');
    if (values.data.trim() === '') throw new UsageError('--data: give a directory, like ./lifeline-data');
    const synchronous = values.sync;
    if (synchronous !== 'full' && synchronous !== 'normal')
      throw new UsageError(`--sync: use full or normal, not '${synchronous}'`);
    const maxBodyBytes =
      values['max-body'] === undefined
        ? DEFAULT_MAX_BODY_BYTES
        : parseBytes(values['max-body'], '--max-body');
    const uploadLimits = {
      ...(values['max-upload'] === undefined
        ? {}
        : { maxUploadBytes: parseBytes(values['max-upload'], '--max-upload') }),
      ...(values['upload-expiry'] === undefined
        ? {}
        : { uploadExpirationMs: atLeastOneMs(parseDurationMs(values['upload-expiry'], '--upload-expiry')) }),
    };
    const json = values.json === true;

    const quiet = values.quiet === true;
    let server: ServerThread;
    try {
      server = await startServerThread({
        port,
        host: values.host,
        dataDir: values.data,
        synchronous,
        maxBodyBytes,
        ...uploadLimits,
        events: quiet ? ['error'] : RELAYED_EVENTS,
      });
    } catch (error) {
      if (error instanceof ListenError && (error.code === 'EADDRINUSE' || error.code === 'EACCES')) {
        const why =
          error.code === 'EADDRINUSE'
            ? 'is in use'
            : 'needs privileges (ports below 1024 do) or is not allowed';
        output.error(`lifeline serve: port ${port} ${why}; choose another with --port`);
        return EXIT.failed;
      }
      throw error;
    }
    banner(server.info, output, json);
    report(server, output, json, quiet);
    const died = await Promise.race([
      untilInterrupted().then(() => undefined),
      server.ended.catch((error) => error),
    ]);
    if (died !== undefined) {
      output.error(
        `lifeline serve: the server stopped: ${died instanceof Error ? died.message : String(died)}`,
      );
      return EXIT.failed;
    }
    // Uploads in flight keep their connections until they end or time out: say why the stop takes a while.
    if (json) output.json({ event: 'stopping', at: new Date().toISOString() });
    else output.line('stopping: letting requests in flight finish…');
    const { operations, uploads } = await server.stop();
    if (json) output.json({ event: 'closed', at: new Date().toISOString(), operations, uploads });
    else output.line(`stopped; ${plural(operations, 'operation')} in ${server.info.databasePath}`);
    return EXIT.ok;
  },
};

function banner(server: ServerThreadInfo, output: Output, json: boolean): void {
  if (json) {
    output.json({
      event: 'listening',
      url: server.url,
      host: server.host,
      port: server.port,
      dataDir: server.dataDir,
      database: server.databasePath,
      synchronous: server.synchronous,
      uploads: server.uploadsDirectory,
      uploadsUrl: `${server.url}/files/`,
      maxUploadBytes: server.maxUploadBytes,
      uploadExpirationMs: server.uploadExpirationMs,
    });
    return;
  }
  const durability =
    server.synchronous === 'full'
      ? 'synchronous full: an acknowledged operation survives power loss'
      : 'synchronous normal: survives a crash of this process; the last operations may be lost on power loss';
  output.line(`lifeline server listening on ${paint(output, 'bold', server.url)}`);
  output.line(`  data:      ${server.dataDir}`);
  output.line(`  database:  ${server.databasePath} (${durability})`);
  output.line(
    `  uploads:   ${server.uploadsDirectory} (tus 1.0 at ${server.url}/files/, up to ` +
      `${formatBytes(server.maxUploadBytes)}; unfinished uploads expire after ${formatDuration(server.uploadExpirationMs)})`,
  );
  output.line(
    '  endpoints: POST /ops/:kind (Idempotency-Key honoured), GET /ops, GET /ops/:id, GET /health, /files/ (tus)',
  );
  output.line(paint(output, 'grey', 'Ctrl-C to stop.'));
}

function report(server: ServerThread, output: Output, json: boolean, quiet: boolean): void {
  const say = eventPrinter(output, json);
  if (!quiet) {
    server.on('operation', ({ id, kind, idempotencyKey, replayed }) => {
      const key = idempotencyKey === undefined ? paint(output, 'grey', 'no key') : `key ${idempotencyKey}`;
      const tail = replayed ? ` ${paint(output, 'yellow', 'replayed')}` : '';
      say('operation', `#${id} ${kind}  ${key}${tail}`, {
        id,
        kind,
        idempotencyKey: idempotencyKey ?? null,
        replayed,
      });
    });
    reportUploads(server, output, say);
  }
  server.on('error', ({ error, method, path }) => {
    const message = error instanceof Error ? error.message : String(error);
    if (json) output.json({ event: 'error', at: new Date().toISOString(), method, path, message });
    else {
      const background = method === 'SWEEP' || method === 'RECOVER';
      output.error(
        `${clockTime()} ${method} ${path} failed${background ? '' : ' (answered 500)'}: ${message}`,
      );
    }
  });
}

/** One line (or JSON event) per finished, rejected or expired upload. */
function reportUploads(server: ServerThread, output: Output, say: EventPrinter): void {
  server.on('upload', ({ id, filename, size, sha256, verified, path }) => {
    const check = verified
      ? paint(output, 'green', 'sha256 verified')
      : paint(output, 'grey', 'no sha256 sent');
    say('upload', `received ${filename ?? id} (${formatBytes(size)}) → ${path}  ${check}`, {
      id,
      filename: filename ?? null,
      size,
      sha256,
      verified,
      path,
    });
  });
  server.on('upload-rejected', ({ id, filename, size, expected, actual }) => {
    say(
      'upload-rejected',
      `${paint(output, 'red', 'rejected')} ${filename ?? id} (${formatBytes(size)}): sha256 expected ` +
        `${expected}, got ${actual}; deleted, answered 460`,
      { id, filename: filename ?? null, size, expected, actual },
    );
  });
  server.on('upload-expired', ({ id, filename, offset, size }) => {
    const of = size === undefined ? '' : ` of ${formatBytes(size)}`;
    say(
      'upload-expired',
      `${paint(output, 'yellow', 'expired')} ${filename ?? id} (${formatBytes(offset)}${of} received); deleted`,
      { id, filename: filename ?? null, offset, size: size ?? null },
    );
  });
}

/** An expiry of nothing would delete every upload as it starts. */
function atLeastOneMs(ms: number): number {
  if (ms < 1)
    throw new UsageError(`--upload-expiry: use a time of at least 1ms, like 30m or 24h (got ${ms})`);
  return Math.round(ms);
}
