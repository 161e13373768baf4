import { parseArgs } from 'node:util';
import { classify } from '../../core/classify.js';
import { formatDuration, plural } from '../../core/format.js';
import { parseDurationMs } from '../../core/units.js';
import { httpProbe } from '../../network/http-probe.js';
import type { Probe, ProbeResult } from '../../network/probe.js';
import { formatPercent } from '../../network/quality-level.js';
import { QualityMonitor } from '../../network/quality-monitor.js';
import { loadConfig } from '../../node/config.js';
import { tcpProbe } from '../../node/tcp-probe.js';
import { COMMON_OPTIONS, type Command, EXIT, UsageError } from '../command.js';
import { interruption, pause } from '../interrupt.js';
import { type Output, paint, table } from '../output.js';
import { adviceRows, formatLatency, levelText, roundScore } from '../quality-text.js';
import { warmUp } from '../warm-up.js';

const HELP = `lifeline probe — measure a link's latency and loss, as ping does, and say what it is good for

Usage: lifeline probe <url> [--count 10] [--interval 500ms] [--timeout 5s] [--json] [--config <file>]

  <url>               http(s)://host[:port]/path — a HEAD request (GET if HEAD is refused); a 2xx answer
                      counts as a reply. tcp://host:port — a TCP handshake alone, for any service.
  --count N           how many probes (default 10)
  --interval <dur>    from the start of one probe to the start of the next (default 500ms)
  --timeout <dur>     a probe with no answer by then is lost (default 5s)
  --json              one JSON line per probe, then a summary line
  --config <file>     read the queue's concurrency from this config (the advice never exceeds it)

Prints one line per probe, then: sent and lost, loss %, min/avg/max latency, jitter, the quality level
(excellent, good, fair, poor, offline), a 0–100% score, and the advice: start a large transfer now or wait
(how long and why), with the batch size and concurrency the link can take. Ctrl-C stops early and prints
the summary of the probes so far.

Exit codes: 0 at least one probe got an answer; 1 every probe was lost; 2 bad usage.`;

/** What `openRuntime` gives the queue when the config does not say, so the advice matches the agent's. */
const QUEUE_CONCURRENCY_DEFAULT = 4;

interface Sample {
  seq: number;
  ok: boolean;
  latencyMs: number | undefined;
  error: string | undefined;
  /** The HTTP status of an answer that was not 2xx: the server is there, the URL is not one to probe. */
  status?: number;
}

export const probeCommand: Command = {
  name: 'probe',
  summary: 'measure latency and loss to a URL with real probes, and say whether to transfer now',
  help: HELP,
  async run(args, output) {
    const { values, positionals } = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        count: { type: 'string', default: '10' },
        interval: { type: 'string', default: '500ms' },
        timeout: { type: 'string', default: '5s' },
        ...COMMON_OPTIONS,
      },
    });
    if (positionals.length !== 1) {
      throw new UsageError(
        positionals.length === 0
          ? 'probe needs a URL, e.g. lifeline probe http://127.0.0.1:8080/health or tcp://example.com:443'
          : `probe takes one URL, got ${positionals.length}: ${positionals.join(' ')}`,
      );
    }
    const target = positionals[0] as string;
    const probe = probeFor(target);
    const count = Number(values.count);
    if (!/^\d+$/.test(values.count as string) || count < 1) {
      throw new UsageError(`--count: use a whole number of probes ≥ 1, not '${values.count}'`);
    }
    const intervalMs = parseDurationMs(values.interval as string, '--interval');
    const timeoutMs = parseDurationMs(values.timeout as string, '--timeout');
    if (!(timeoutMs > 0))
      throw new UsageError(`--timeout: use a positive duration like 2s, not '${values.timeout}'`);
    const { config } = loadConfig({ path: values.config });
    const json = values.json === true;

    const quality = new QualityMonitor({
      maxConcurrency: config.queue?.concurrency ?? QUEUE_CONCURRENCY_DEFAULT,
    });
    const samples: Sample[] = [];
    const interrupted = interruption();
    try {
      if (!json) {
        output.line(
          `PROBE ${target}: ${plural(count, 'probe')}, ${formatDuration(intervalMs)} apart, timeout ${formatDuration(timeoutMs)}`,
        );
      }
      await warmUp(probe, timeoutMs);
      for (let seq = 1; seq <= count && !interrupted.signal.aborted; seq++) {
        const startedMs = performance.now();
        const result = await probeOnce(probe, timeoutMs, interrupted.signal);
        if (interrupted.signal.aborted) break; // Ctrl-C during a probe: it is not a lost probe
        const sample = toSample(seq, result, timeoutMs);
        samples.push(sample);
        quality.record(sample.ok ? { ok: true, latencyMs: sample.latencyMs as number } : { ok: false });
        printSample(output, json, sample);
        if (seq < count) await pause(intervalMs - (performance.now() - startedMs), interrupted.signal);
      }
    } finally {
      interrupted.dispose();
    }
    return summarise(output, json, target, samples, quality);
  },
};

/** The probe for a URL: HTTP(S) through `httpProbe`, `tcp://host:port` through `tcpProbe`. */
function probeFor(target: string): Probe {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new UsageError(
      `cannot read '${target}' as a URL; use http://host:port/path, https://… or tcp://host:port`,
    );
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') return httpProbe({ url });
  if (url.protocol === 'tcp:') {
    if (url.port === '' || url.hostname === '') {
      throw new UsageError(`'${target}' needs a host and a port, like tcp://example.com:443`);
    }
    return tcpProbe({ host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port) });
  }
  throw new UsageError(`cannot probe '${url.protocol}' URLs; use http://, https:// or tcp://host:port`);
}

/** One probe under its timeout; an interrupt aborts it too. Never rejects. */
async function probeOnce(probe: Probe, timeoutMs: number, interrupted: AbortSignal): Promise<ProbeResult> {
  const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), interrupted]);
  try {
    return await probe({ signal });
  } catch (error) {
    return { ok: false, error };
  }
}

function toSample(seq: number, result: ProbeResult, timeoutMs: number): Sample {
  if (result.ok) return { seq, ok: true, latencyMs: result.latencyMs ?? 0, error: undefined };
  const failure = classify(result.error);
  const error =
    failure.kind === 'timeout' ? `no answer within ${formatDuration(timeoutMs)}` : failure.message;
  return {
    seq,
    ok: false,
    latencyMs: undefined,
    error,
    ...(failure.status ? { status: failure.status } : {}),
  };
}

function printSample(output: Output, json: boolean, sample: Sample): void {
  if (json) {
    output.json({
      event: 'probe',
      seq: sample.seq,
      ok: sample.ok,
      latencyMs: sample.latencyMs ?? null,
      ...(sample.error === undefined ? {} : { error: sample.error }),
    });
  } else if (sample.ok) {
    output.line(`seq=${sample.seq} time=${formatLatency(sample.latencyMs)}`);
  } else {
    output.line(`seq=${sample.seq} ${paint(output, 'red', 'lost')}: ${sample.error}`);
  }
}

function summarise(
  output: Output,
  json: boolean,
  target: string,
  samples: Sample[],
  quality: QualityMonitor,
): number {
  const latencies = samples.flatMap((sample) => (sample.ok ? [sample.latencyMs as number] : []));
  const sent = samples.length;
  const lost = sent - latencies.length;
  const lossRate = sent === 0 ? 0 : lost / sent;
  const latency =
    latencies.length === 0
      ? null
      : {
          minMs: Math.min(...latencies),
          avgMs: latencies.reduce((sum, ms) => sum + ms, 0) / latencies.length,
          maxMs: Math.max(...latencies),
        };
  const snapshot = quality.snapshot();
  const advice = quality.recommendations();
  const exitCode = latencies.length > 0 ? EXIT.ok : EXIT.failed;
  if (json) {
    output.json({
      event: 'summary',
      url: target,
      sent,
      lost,
      lossRate,
      latency,
      jitterMs: snapshot.jitterMs ?? null,
      level: snapshot.level,
      score: roundScore(snapshot.score),
      recommendations: advice,
    });
    return exitCode;
  }
  output.line();
  output.line(`--- ${target} ---`);
  output.line(`${sent} sent, ${lost} lost (${formatPercent(lossRate)} loss)`);
  const rows = latency
    ? [
        [
          'latency',
          `min/avg/max ${formatLatency(latency.minMs)} / ${formatLatency(latency.avgMs)} / ${formatLatency(latency.maxMs)}` +
            (snapshot.jitterMs === undefined ? '' : `, jitter ${formatLatency(snapshot.jitterMs)}`),
        ],
      ]
    : [];
  rows.push(['quality', levelText(output, snapshot)], ...adviceRows(output, advice, snapshot.level));
  for (const line of table(rows)) output.line(line);
  const answered = samples.find((sample) => sample.status !== undefined);
  if (sent > 0 && latencies.length === 0) {
    output.line(paint(output, 'red', noAnswerAdvice(target, answered?.status)));
  }
  return exitCode;
}

/** Why no probe succeeded: nothing answered, the server reports an error (5xx), or the URL is wrong (4xx). */
function noAnswerAdvice(target: string, status: number | undefined): string {
  if (status === undefined)
    return `no probe got an answer: is anything listening at ${target}, and is the way there open?`;
  if (status >= 500) return `the server is there but answered HTTP ${status}: it reports an error of its own`;
  return `the server answered HTTP ${status}, not 2xx: probe a URL that answers 2xx (lifeline serve answers at /health)`;
}
