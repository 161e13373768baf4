import { parseArgs } from 'node:util';
import { formatBytes, parseBytes, parseBytesPerSecond, parseDurationMs } from '../../core/units.js';
import { ChaosProxy } from '../../testing/chaos-proxy.js';
import type { ToxicDirection, ToxicSpec } from '../../testing/toxics.js';
import { type Command, EXIT, parseHostPort, UsageError } from '../command.js';
import { untilInterrupted } from '../interrupt.js';
import { eventPrinter, type Output, paint } from '../output.js';

const HELP = `lifeline chaos — a TCP proxy that injects real network faults

Usage: lifeline chaos --upstream <host:port> [--listen <host:port>] [faults] [--seed N] [--json]

  --listen <host:port>     where the proxy listens (default 127.0.0.1:8666)

Faults (combine freely; each applies in --direction, default both):
  --latency <ms>           delay every chunk (e.g. 500, 2s)
  --jitter <ms>            vary the latency by up to this much either way
  --bandwidth <rate>       limit each connection (e.g. 256KB/s, 2mbit)
  --reset-rate <0..1>      reset (RST) this share of connections
  --reset-after <bytes>    reset after this many bytes (with --reset-rate: that share of connections)
  --close-after <bytes>    close (FIN) after this many bytes
  --stall-after <bytes>    stop forwarding after this many bytes, keeping the connection open
  --blackhole              accept, forward nothing, keep connections open
  --slice <bytes>          deliver data in slices of about this size…
  --slice-delay <ms>       …this far apart
  --outage <from>-<to>     refuse and drop connections from t=<from> to t=<to> (e.g. 2s-5s)
  --direction <d>          upstream (client → server), downstream, or both

Example:
  lifeline chaos --listen 127.0.0.1:8666 --upstream 127.0.0.1:8080 --latency 500 --jitter 100 \\
                 --reset-rate 0.3 --bandwidth 256KB/s

Ctrl-C stops it and prints the totals.`;

export const chaosCommand: Command = {
  name: 'chaos',
  summary: 'run a fault-injecting TCP proxy (latency, resets, stalls, outages…)',
  help: HELP,
  async run(args, output) {
    const { values } = parseArgs({
      args,
      strict: true,
      options: {
        listen: { type: 'string', default: '127.0.0.1:8666' },
        upstream: { type: 'string' },
        latency: { type: 'string' },
        jitter: { type: 'string' },
        bandwidth: { type: 'string' },
        'reset-rate': { type: 'string' },
        'reset-after': { type: 'string' },
        'close-after': { type: 'string' },
        'stall-after': { type: 'string' },
        blackhole: { type: 'boolean' },
        slice: { type: 'string' },
        'slice-delay': { type: 'string' },
        outage: { type: 'string' },
        direction: { type: 'string', default: 'both' },
        seed: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
    if (!values.upstream)
      throw new UsageError('--upstream is required: where the proxy forwards to, e.g. 127.0.0.1:8080');
    const direction = values.direction as ToxicDirection;
    if (!['upstream', 'downstream', 'both'].includes(direction)) {
      throw new UsageError(`--direction: use upstream, downstream or both, not '${direction}'`);
    }
    const toxics = toxicsFrom(values, direction);
    const seed = values.seed === undefined ? undefined : Number(values.seed);
    if (seed !== undefined && !Number.isInteger(seed))
      throw new UsageError(`--seed: use an integer, not '${values.seed}'`);
    const outage = values.outage === undefined ? undefined : parseOutage(values.outage);

    const proxy = new ChaosProxy({
      listen: parseHostPort(values.listen as string, '--listen'),
      upstream: parseHostPort(values.upstream, '--upstream'),
      toxics,
      ...(seed === undefined ? {} : { seed }),
    });
    await proxy.start().catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE')
        throw new UsageError(`--listen: ${values.listen} is in use (another proxy?); pick another address`);
      throw error;
    });
    report(proxy, output, values.json === true);
    if (!values.json) {
      output.line(
        `chaos proxy ${paint(output, 'bold', `${proxy.host}:${proxy.port}`)} → ${proxy.upstream.host}:${proxy.upstream.port}`,
      );
      for (const line of proxy.describeToxics()) output.line(`  ${line}`);
      if (proxy.toxics().length === 0 && !outage) output.line('  no faults: forwarding untouched');
      if (outage)
        output.line(
          `  outage from t=${outage.startInMs / 1000}s to t=${(outage.startInMs + outage.durationMs) / 1000}s`,
        );
      output.line(paint(output, 'grey', 'Ctrl-C to stop.'));
    } else {
      output.json({ event: 'listening', host: proxy.host, port: proxy.port, toxics: proxy.describeToxics() });
    }
    if (outage) proxy.scheduleOutage(outage);
    const summary = setInterval(() => printCounters(proxy, output, values.json === true), 5000);
    await untilInterrupted();
    clearInterval(summary);
    await proxy.stop();
    printCounters(proxy, output, values.json === true, 'totals');
    return EXIT.ok;
  },
};

type Values = Record<string, string | boolean | undefined>;

function toxicsFrom(values: Values, direction: ToxicDirection): ToxicSpec[] {
  const text = (name: string) => values[name] as string | undefined;
  const toxics: ToxicSpec[] = [];
  const latency = text('latency');
  if (latency !== undefined || text('jitter') !== undefined) {
    toxics.push({
      type: 'latency',
      latencyMs: parseDurationMs(latency ?? '0', '--latency'),
      jitterMs: parseDurationMs(text('jitter') ?? '0', '--jitter'),
      direction,
    });
  }
  const bandwidth = text('bandwidth');
  if (bandwidth !== undefined)
    toxics.push({
      type: 'bandwidth',
      bytesPerSecond: parseBytesPerSecond(bandwidth, '--bandwidth'),
      direction,
    });
  const slice = text('slice');
  if (slice === undefined && text('slice-delay') !== undefined)
    throw new UsageError('--slice-delay goes with --slice (lifeline chaos … --slice 1KB --slice-delay 5ms)');
  if (slice !== undefined) {
    toxics.push({
      type: 'slicer',
      averageSizeBytes: Math.max(1, parseBytes(slice, '--slice')),
      delayMs: parseDurationMs(text('slice-delay') ?? '0', '--slice-delay'),
      direction,
    });
  }
  const rate = text('reset-rate');
  const probability = rate === undefined ? 1 : Number(rate);
  if (!(probability >= 0 && probability <= 1))
    throw new UsageError(`--reset-rate: use a share between 0 and 1, not '${rate}'`);
  const resetAfter = text('reset-after');
  if (rate !== undefined || resetAfter !== undefined) {
    toxics.push({
      type: 'reset',
      probability,
      afterBytes: resetAfter === undefined ? 0 : parseBytes(resetAfter, '--reset-after'),
      direction,
    });
  }
  const closeAfter = text('close-after');
  if (closeAfter !== undefined)
    toxics.push({ type: 'close', afterBytes: parseBytes(closeAfter, '--close-after'), direction });
  const stallAfter = text('stall-after');
  if (stallAfter !== undefined)
    toxics.push({ type: 'stall', afterBytes: parseBytes(stallAfter, '--stall-after'), direction });
  if (values.blackhole) toxics.push({ type: 'blackhole', direction });
  return toxics;
}

function parseOutage(text: string): { startInMs: number; durationMs: number } {
  const [from, to, ...rest] = text.split('-');
  if (to === undefined || rest.length > 0)
    throw new UsageError(`--outage: give a window <from>-<to>, as in 2s-5s (got '${text}')`);
  const startInMs = parseDurationMs(from ?? '', '--outage');
  const endMs = parseDurationMs(to ?? '', '--outage');
  if (!(endMs > startInMs))
    throw new UsageError(`--outage: the end must come after the start, as in 2s-5s (got '${text}')`);
  return { startInMs, durationMs: endMs - startInMs };
}

function report(proxy: ChaosProxy, output: Output, json: boolean): void {
  const say = eventPrinter(output, json);
  proxy.on('connection', ({ id }) => say('connection', `#${id} connected`, { id }));
  proxy.on('fault', ({ id, fault, toxic }) =>
    // The toxic's name only when it says more than the fault ("reset (cut-late)", not "reset (reset)").
    say('fault', `#${id} ${paint(output, 'yellow', fault)}${toxic && toxic !== fault ? ` (${toxic})` : ''}`, {
      id,
      fault,
      toxic,
    }),
  );
  proxy.on('closed', ({ id }) => say('closed', `#${id} closed`, { id }));
  proxy.on('down', ({ reason }) => say('down', `${paint(output, 'red', 'down')}: ${reason}`, { reason }));
  proxy.on('up', () => say('up', paint(output, 'green', 'up: accepting connections again'), {}));
}

function printCounters(proxy: ChaosProxy, output: Output, json: boolean, label = 'so far'): void {
  const c = proxy.counters;
  if (json) {
    output.json({ event: label === 'totals' ? 'totals' : 'counters', ...c });
    return;
  }
  output.line(
    `${label}: ${c.connectionsAccepted} connections (${c.connectionsActive} open), ` +
      `${formatBytes(c.bytesUpstream)} up, ${formatBytes(c.bytesDownstream)} down, ` +
      `${c.resetsInjected} resets, ${c.closesInjected} closes, ${c.stallsInjected} stalls, ${formatBytes(c.bytesDropped)} dropped`,
  );
}
