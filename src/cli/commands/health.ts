import { parseArgs } from 'node:util';
import { detectPatterns } from '../../analytics/patterns.js';
import { computeStats } from '../../analytics/stats.js';
import { formatDuration, plural } from '../../core/format.js';
import { parseDurationMs } from '../../core/units.js';
import { httpProbe } from '../../network/http-probe.js';
import type { Recommendations } from '../../network/recommendations.js';
import {
  type AgentHealth,
  healthResetRequestedAtMs,
  readAgentHealth,
  requestHealthReset,
} from '../../node/agent-health.js';
import type { CircuitSnapshot } from '../../policy/circuit-breaker.js';
import { agentStatus } from '../agent-status.js';
import { breakerLines, nextTrialAtMs, refusesCalls } from '../breaker-table.js';
import { COMMON_OPTIONS, type Command, EXIT, UsageError, withRuntime } from '../command.js';
import { patternLines, rateLines, statsLines, topErrorLines } from '../failure-report.js';
import { clockTime, type Output, paint, table } from '../output.js';
import { adviceRows, linkStateText, type QualityView, qualityRows, roundScore } from '../quality-text.js';
import { ago, fromNow } from '../time-text.js';
import { warmUp } from '../warm-up.js';

const HELP = `lifeline health — the link, its quality, the circuit breakers and the queue

Usage:
  lifeline health [--json] [--config <file>]
  lifeline health reset [--json] [--config <file>]
  lifeline health failures [--since 1h] [--operation <name>] [--json] [--config <file>]

lifeline health
  Probes the server's /health now, and shows what the running agent sees: the link (state, since when,
  why), its quality (level, score, latency, jitter, loss, and whether to start a large transfer now or
  wait), every circuit breaker (state, failure rate, next trial, last transitions) and the queue's counts.
  Breakers live in the agent's memory: with no agent running there are none to show.
  Exit codes: 0 healthy; 1 the link is offline or a breaker is open; 2 bad usage.

lifeline health reset
  Asks the running agent to close its breakers, refill its retry budgets and forget its quality history,
  and waits up to 5 s for it to confirm. With no agent running there is nothing in memory to reset.
  Exit codes: 0 reset (or no agent running); 1 the agent did not confirm, or a breaker opened again.

lifeline health failures
  The failure log on disk (failures.db in the state directory): counts by kind, operation, component and
  severity; the top errors; failures per operation; patterns, each with what to do about it.
    --since <duration>   how far back to look: 30m, 1h, 24h (default 1h; the log keeps 7 days)
    --operation <name>   only this operation ("POST 127.0.0.1:8080", "queue http"…)
  Exit code 0.

Every view takes --json (one JSON document) and --config <file> (default ./lifeline.config.json, then
$LIFELINE_HOME's).`;

const RESET_WAIT_MS = 5000;
const WARM_UP_MS = 1000;
const RESET_POLL_MS = 100;

type Handler = (args: string[], output: Output) => Promise<number>;

export const healthCommand: Command = {
  name: 'health',
  summary: 'show the link, its quality, the circuit breakers and the queue; reset them; analyse failures',
  help: HELP,
  async run(args, output) {
    const [first, ...rest] = args;
    if (first === undefined || first.startsWith('-')) return view(args, output);
    const handler = SUBCOMMANDS[first];
    if (!handler) throw new UsageError(`unknown health command '${first}' (there are: reset, failures)`);
    return handler(rest, output);
  },
};

const SUBCOMMANDS: Record<string, Handler> = { reset, failures };

// ── lifeline health ─────────────────────────────────────────────────────────────────────────────────────

async function view(args: string[], output: Output): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: COMMON_OPTIONS,
  });
  return withRuntime(values.config, async (runtime) => {
    const probeUrl = runtime.config.probe?.url ?? new URL('/health', runtime.serverUrl).href;
    await warmUp(httpProbe({ url: probeUrl }), runtime.config.probe?.timeoutMs ?? WARM_UP_MS);
    let probeLatencyMs: number | undefined;
    const stopListening = runtime.connectivity.on('probe', (event) => {
      probeLatencyMs = event.latencyMs;
    });
    await runtime.connectivity.check();
    stopListening();
    const link = runtime.connectivity.snapshot();
    const agent = agentStatus(runtime.stateDir);
    const queue = await runtime.queue.status();
    const nowMs = Date.now();

    // The agent measures the link continuously; without it, all there is is the probe just made.
    const fromAgent = agent.running ? agent.health : undefined;
    const quality: QualityView = fromAgent ? fromAgent.quality : runtime.quality.snapshot();
    const agentRecommendations = fromAgent ? agentAdvice(fromAgent) : undefined;
    const advice = agentRecommendations ?? runtime.quality.recommendations();
    const adviceSource = agentRecommendations ? 'agent' : 'probe';
    const breakers = fromAgent?.breakers;
    const problems = [
      ...(link.state === 'offline'
        ? [
            `the link is offline (${link.reason}): is the server at ${runtime.serverUrl} up? ` +
              `'lifeline serve' runs one; 'server' in lifeline.config.json says where it is`,
          ]
        : []),
      ...(breakers ?? []).filter(refusesCalls).map((breaker) => breakerProblem(breaker, fromAgent, nowMs)),
    ];

    if (values.json) {
      output.json({
        healthy: problems.length === 0,
        problems,
        server: runtime.serverUrl,
        link: {
          url: probeUrl,
          state: link.state,
          reason: link.reason,
          latencyMs: probeLatencyMs ?? null,
          checkedAtMs: link.lastProbeAtMs ?? nowMs,
        },
        agent: fromAgent
          ? { running: true, pid: fromAgent.pid, writtenAtMs: fromAgent.writtenAtMs, link: fromAgent.link }
          : { running: false, lastSeenAtMs: agent.running ? null : (agent.lastSeen?.writtenAtMs ?? null) },
        quality: {
          source: fromAgent ? 'agent' : 'probe',
          level: quality.level,
          score: roundScore(quality.score),
          latencyMs: quality.latencyMs ?? null,
          jitterMs: quality.jitterMs ?? null,
          lossRate: quality.lossRate,
          recommendations: { ...advice, source: adviceSource },
        },
        breakers: breakers
          ? breakers.map((breaker) => ({
              ...breaker,
              nextTrialAtMs: fromAgent ? (nextTrialAtMs(breaker, fromAgent.writtenAtMs) ?? null) : null,
            }))
          : null,
        queue: {
          pending: queue.pending,
          running: queue.running,
          completed: queue.completed,
          dead: queue.dead,
          paused: queue.paused,
        },
      });
      return problems.length === 0 ? EXIT.ok : EXIT.failed;
    }

    // Without a probe.url the link is up when any server queued work goes to answers (link-probe.ts).
    const alsoAsked = runtime.config.probe?.url === undefined ? ' and the servers queued work goes to' : '';
    output.line(`${paint(output, 'bold', 'Link')}  ${probeUrl}${paint(output, 'grey', alsoAsked)}`);
    printRows(output, [
      ['now', `${linkStateText(output, link.state)}: ${link.reason}`],
      ['agent', agentLinkText(output, agent, nowMs)],
    ]);
    output.line();
    output.line(
      `${paint(output, 'bold', 'Quality')}  ${
        fromAgent
          ? 'as the agent measures it'
          : "from one probe now; 'lifeline probe <url>' measures over time"
      }`,
    );
    const adviceNote =
      fromAgent && adviceSource === 'probe'
        ? [['', paint(output, 'grey', '(advice from the probe just made)')]]
        : [];
    printRows(output, [
      ...qualityRows(output, quality),
      ...adviceRows(output, advice, quality.level),
      ...adviceNote,
    ]);
    output.line();
    if (fromAgent) {
      output.line(
        `${paint(output, 'bold', 'Breakers')}  agent pid ${fromAgent.pid}, snapshot ${ago(fromAgent.writtenAtMs, nowMs)}`,
      );
      for (const line of breakerLines(output, fromAgent.breakers, fromAgent.writtenAtMs, nowMs))
        output.line(line);
    } else {
      output.line(`${paint(output, 'bold', 'Breakers')}  agent not running — breakers live in the agent`);
    }
    output.line();
    output.line(`${paint(output, 'bold', 'Queue')}  ${runtime.stateDir}/queue.db`);
    printRows(output, [
      [
        'pending',
        queue.pending > 0 && queue.oldestPendingAtMs !== undefined
          ? `${queue.pending} (oldest ${ago(queue.oldestPendingAtMs, nowMs)})`
          : String(queue.pending),
      ],
      ['running', String(queue.running)],
      ['completed', String(queue.completed)],
      ['dead', queue.dead > 0 ? paint(output, 'red', String(queue.dead)) : '0'],
      ['paused', queue.paused ? paint(output, 'yellow', 'yes') : 'no'],
    ]);
    output.line();
    if (problems.length === 0) output.line(paint(output, 'green', 'healthy'));
    for (const problem of problems) output.line(`${paint(output, 'red', 'unhealthy')}: ${problem}`);
    return problems.length === 0 ? EXIT.ok : EXIT.failed;
  });
}

/**
 * The agent's own recommendations (it knows its sample window, so its advice matches the quality it
 * reports); a snapshot from an older agent without them leaves the probe just made to advise.
 */
function agentAdvice(health: AgentHealth): Recommendations | undefined {
  const advice = health.recommendations as Recommendations | undefined;
  return advice?.transfer === undefined ? undefined : advice;
}

function agentLinkText(output: Output, agent: ReturnType<typeof agentStatus>, nowMs: number): string {
  if (!agent.running) {
    const seen = agent.lastSeen;
    const last = seen ? ` (last seen ${ago(seen.writtenAtMs, nowMs)}, pid ${seen.pid})` : '';
    return `${paint(output, 'grey', 'not running')}${last}; 'lifeline agent' starts it`;
  }
  const { state, sinceMs, reason } = agent.health.link;
  return `${linkStateText(output, state)} since ${clockTime(new Date(sinceMs))} (${ago(sinceMs, nowMs)}): ${reason}`;
}

function breakerProblem(breaker: CircuitSnapshot, agent: AgentHealth | undefined, nowMs: number): string {
  if (breaker.state === 'isolated') {
    return `breaker '${breaker.name}' is isolated: every call to it is refused until it is reset ('lifeline health reset')`;
  }
  const trialAtMs = agent ? nextTrialAtMs(breaker, agent.writtenAtMs) : undefined;
  const trial =
    trialAtMs === undefined ? '' : `; the next trial call goes through ${fromNow(trialAtMs, nowMs)}`;
  return (
    `breaker '${breaker.name}' is open (${breaker.reason}): calls to it fail fast${trial}. ` +
    `Once the service is back, 'lifeline health reset' closes it at once`
  );
}

function printRows(output: Output, rows: string[][]): void {
  for (const line of table(rows.map(([label = '', ...rest]) => [`  ${label}`, ...rest]))) output.line(line);
}

// ── lifeline health reset ───────────────────────────────────────────────────────────────────────────────

async function reset(args: string[], output: Output): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: COMMON_OPTIONS,
  });
  return withRuntime(values.config, async (runtime) => {
    const agent = agentStatus(runtime.stateDir);
    if (!agent.running) {
      const message =
        'no agent running: breakers, retry budgets and quality history live in its memory, so there is ' +
        'nothing to reset (an agent starts with its breakers closed)';
      if (values.json) output.json({ agentRunning: false, confirmed: false, message });
      else output.line(message);
      return EXIT.ok;
    }
    const { pid } = agent.health;
    requestHealthReset(runtime.stateDir);
    const requestedAtMs = Date.now();
    const requestFileAtMs = healthResetRequestedAtMs(runtime.stateDir);
    if (!values.json) output.line(`asked the agent (pid ${pid}) to reset; waiting for it to confirm…`);

    // The agent acts on the request at its next snapshot (every 2 s), and writes the result.
    let seen: AgentHealth | undefined;
    for (;;) {
      const latest = readAgentHealth(runtime.stateDir);
      // The agent says which request it acted on; an older agent's snapshot without that field is
      // taken as confirmation once it was written after the request.
      const handled =
        latest?.resetHandledAtMs === undefined
          ? latest && latest.writtenAtMs > requestedAtMs
          : latest.resetHandledAtMs >= requestFileAtMs;
      if (latest && latest.pid === pid && handled) {
        seen = latest;
        break;
      }
      if (Date.now() - requestedAtMs >= RESET_WAIT_MS) break;
      await new Promise((resolve) => setTimeout(resolve, RESET_POLL_MS));
    }
    const stillRefusing = seen?.breakers.filter((breaker) => breaker.state !== 'closed') ?? [];
    const confirmed = seen !== undefined && stillRefusing.length === 0;
    const message = !seen
      ? `the agent (pid ${pid}) did not confirm within ${formatDuration(RESET_WAIT_MS)}: is it still running? ` +
        `The request stays; a running agent acts on it at its next snapshot`
      : confirmed
        ? `reset: the agent (pid ${pid}) closed its ${plural(seen.breakers.length, 'breaker')}, refilled its retry ` +
          'budgets and forgot its quality history'
        : `the agent (pid ${pid}) reset, but ${stillRefusing.map((breaker) => `'${breaker.name}' is ${breaker.state} again (${breaker.reason})`).join(', ')}: ` +
          'the service is still failing';
    if (values.json) {
      output.json({
        agentRunning: true,
        pid,
        requestedAtMs,
        confirmed,
        message,
        breakers: seen?.breakers ?? null,
      });
    } else output.line(confirmed ? paint(output, 'green', message) : paint(output, 'red', message));
    return confirmed ? EXIT.ok : EXIT.failed;
  });
}

// ── lifeline health failures ────────────────────────────────────────────────────────────────────────────

async function failures(args: string[], output: Output): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      since: { type: 'string', default: '1h' },
      operation: { type: 'string' },
      ...COMMON_OPTIONS,
    },
  });
  const since = values.since as string;
  const windowMs = parseDurationMs(since, '--since');
  if (!(windowMs > 0))
    throw new UsageError(`--since: use a positive duration like 30m, 1h or 24h, not '${since}'`);
  const operation = values.operation;
  return withRuntime(values.config, async (runtime) => {
    const nowMs = Date.now();
    const sinceMs = nowMs - windowMs;
    const records = runtime.failureLog
      .list(sinceMs)
      .filter((record) => operation === undefined || record.operation === operation);
    const stats = computeStats(records);
    const patterns = detectPatterns(records);
    const rates = runtime.failureLog.rates({ windowMs, ...(operation === undefined ? {} : { operation }) });
    const path = `${runtime.stateDir}/failures.db`;

    if (values.json) {
      output.json({
        since: new Date(sinceMs).toISOString(),
        sinceMs,
        windowMs,
        operation: operation ?? null,
        path,
        stats,
        rates,
        patterns,
      });
      return EXIT.ok;
    }

    const window = `${sinceText(sinceMs, nowMs)} (the last ${since})${operation === undefined ? '' : ` in ${operation}`}`;
    if (stats.total === 0) {
      output.line(`no failures recorded since ${window}`);
      if (windowMs < 7 * 24 * 3_600_000)
        output.line('Use --since 24h to look further back (the log keeps 7 days).');
      return EXIT.ok;
    }
    output.line(`${paint(output, 'bold', plural(stats.total, 'failure'))} since ${window}, from ${path}`);
    for (const line of statsLines(stats)) output.line(line);
    output.line();
    output.line(paint(output, 'bold', 'Top errors'));
    for (const line of topErrorLines(output, stats.topErrors, nowMs)) output.line(line);
    output.line();
    output.line(paint(output, 'bold', 'Failures per operation'));
    for (const line of rateLines(rates)) output.line(line);
    output.line();
    if (patterns.length === 0) output.line(`${paint(output, 'bold', 'Patterns')}  none detected`);
    else {
      output.line(paint(output, 'bold', 'Patterns'));
      for (const line of patternLines(output, patterns)) output.line(line);
    }
    return EXIT.ok;
  });
}

/** "14:03:04" today, "2025-01-02 14:03:04" further back. */
function sinceText(sinceMs: number, nowMs: number): string {
  const date = new Date(sinceMs);
  if (new Date(nowMs).toDateString() === date.toDateString()) return clockTime(date);
  const day = `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
  return `${day} ${clockTime(date)}`;
}
