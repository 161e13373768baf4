import { parseArgs } from 'node:util';
import { plural } from '../../core/format.js';
import { parseDurationMs } from '../../core/units.js';
import { healthResetRequestedAtMs, writeAgentHealth } from '../../node/agent-health.js';
import { openRuntime, type Runtime } from '../../node/runtime.js';
import { agentStatus } from '../agent-status.js';
import { COMMON_OPTIONS, type Command, EXIT, UsageError } from '../command.js';
import { untilInterrupted } from '../interrupt.js';
import { reportLink } from '../link-events.js';
import { type EventPrinter, eventPrinter } from '../output.js';
import { reportQueue } from '../queue-events.js';

const HELP = `lifeline agent — run the queue's worker in the foreground

Usage: lifeline agent [--once [--wait 10s]] [--json] [--config <file>]

Sends queued operations whenever the link is up, watching it with probes of the server's /health
(and of the servers queued work goes to: any that answers shows the link up; a probe.url in the config
is asked alone); stops while it is down and starts again as soon as it is back.

  --once            drain the queue, then exit (exit 1 if operations stay queued or fail)
  --wait <time>     with --once: how long to wait for a link that is down, or for a retry to come
                    due (default 10s); retries due later stay queued
  --json            print events as JSON lines
  --config <file>   use this config file instead of ./lifeline.config.json or $LIFELINE_HOME's

Ctrl-C stops it: running operations get 10 s to finish, then go back to the queue.`;

const HEALTH_EVERY_MS = 2000;

export const agentCommand: Command = {
  name: 'agent',
  summary: 'run the worker: send queued operations whenever the link is up',
  help: HELP,
  async run(args, output) {
    const { values } = parseArgs({
      args,
      strict: true,
      options: {
        once: { type: 'boolean' },
        wait: { type: 'string' },
        ...COMMON_OPTIONS,
      },
    });
    if (values.wait !== undefined && !values.once)
      throw new UsageError(
        '--wait goes with --once (lifeline agent --once --wait 30s): a running agent waits anyway',
      );
    const maxWaitMs = parseDurationMs(values.wait ?? '10s', '--wait');
    const json = values.json === true;
    const runtime = await openRuntime({ configPath: values.config });
    const other = agentStatus(runtime.stateDir);
    if (other.running && other.health.pid !== process.pid)
      output.error(
        `lifeline agent: another agent (pid ${other.health.pid}) already sends this queue; this one runs beside it. ` +
          'Each item still runs once, but one agent is enough.',
      );
    const stopReporting = reportQueue(runtime.queue, output, json);
    const say = eventPrinter(output, json);
    const stopLink = reportLink(runtime, output, say);
    const stopHealth = shareHealth(runtime);
    say('started', `lifeline agent: ${runtime.stateDir}/queue.db → server ${runtime.serverUrl}`, {
      stateDir: runtime.stateDir,
      server: runtime.serverUrl,
      config: runtime.configPath ?? null,
    });
    runtime.connectivity.start();
    runtime.queue.start();
    let exitCode: number = EXIT.ok;
    let graceMs = 10_000;
    // With --once, any item that goes dead during the run (or its stop) fails it, not only those left pending.
    let died = 0;
    const offDead = runtime.queue.on('dead', () => died++);
    if (values.once) {
      const drained = await drainOnce(runtime, say, maxWaitMs);
      if (!drained.ok) exitCode = EXIT.failed;
      // The link stayed down past --wait: what runs is waiting for it, so it goes back to the queue now.
      if (drained.linkDown) graceMs = 1000;
    } else {
      await untilInterrupted();
      say('stopping', 'stopping: running operations get 10s to finish…', {});
    }
    stopHealth();
    await runtime.queue.stop(graceMs);
    offDead();
    if (values.once && died > 0) exitCode = EXIT.failed;
    const counts = await runtime.queue.status();
    say('stopped', `stopped: ${counts.pending} pending, ${counts.dead} dead, ${counts.completed} completed`, {
      ...counts,
    });
    stopReporting();
    stopLink();
    await runtime.close();
    return exitCode;
  },
};

/**
 * Runs until nothing is running and nothing comes due within `maxWaitMs` of its start (ok: nothing left
 * pending): a retry due in a second is part of draining, one due in ten minutes is not. A link down for
 * longer than `maxWaitMs` ends it.
 */
async function drainOnce(
  runtime: Runtime,
  say: EventPrinter,
  maxWaitMs: number,
): Promise<{ ok: boolean; linkDown: boolean }> {
  // One window from the start: retries that keep coming due within a sliding one would run it for ever.
  const retriesUntilMs = Date.now() + maxWaitMs;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const status = await runtime.queue.status();
    if (status.paused && status.running === 0) {
      // Nothing runs while paused: waiting would never end.
      say(
        'paused',
        `the queue is paused; ${staysQueued(status.pending)} ('lifeline queue resume' lets it run)`,
        { pending: status.pending },
      );
      return { ok: status.pending === 0, linkDown: false };
    }
    const dueSoon = status.pending > 0 && (status.nextDueAtMs ?? Infinity) <= retriesUntilMs;
    if (status.running === 0 && !dueSoon) return { ok: status.pending === 0, linkDown: false };
    if (runtime.connectivity.state !== 'offline') continue;
    try {
      await runtime.connectivity.waitForOnline({ maxWaitMs });
    } catch {
      // This agent's running ones count too: they wait for the link, and go back as the agent stops.
      const { pending, runningHere } = await runtime.queue.status();
      const queued = pending + runningHere;
      say('offline', `the link is down; ${staysQueued(queued)}`, { pending, running: runningHere });
      return { ok: false, linkDown: true };
    }
  }
}

/** "1 operation stays queued", "3 operations stay queued". */
const staysQueued = (count: number) =>
  `${plural(count, 'operation')} ${count === 1 ? 'stays' : 'stay'} queued`;

/** Writes the health snapshot for `lifeline health`, and acts on `lifeline health reset`. */
function shareHealth(runtime: Runtime): () => void {
  let handledResetAtMs = healthResetRequestedAtMs(runtime.stateDir);
  let writing = false;
  const tick = async () => {
    if (writing) return;
    writing = true;
    try {
      const requestedAtMs = healthResetRequestedAtMs(runtime.stateDir);
      if (requestedAtMs > handledResetAtMs) {
        handledResetAtMs = requestedAtMs;
        runtime.registry.reset();
        runtime.quality.reset();
      }
      const status = await runtime.queue.status();
      const link = runtime.connectivity.snapshot();
      const quality = runtime.quality.snapshot();
      writeAgentHealth(runtime.stateDir, {
        pid: process.pid,
        writtenAtMs: Date.now(),
        link: { state: link.state, reason: link.reason, sinceMs: link.sinceMs },
        quality: {
          level: quality.level,
          score: quality.score,
          latencyMs: quality.latencyMs,
          jitterMs: quality.jitterMs,
          lossRate: quality.lossRate,
        },
        recommendations: runtime.quality.recommendations(),
        breakers: runtime.registry.health().breakers,
        queue: { paused: status.paused, runningHere: status.runningHere, concurrency: status.concurrency },
        resetHandledAtMs: handledResetAtMs,
      });
    } catch {
      // A snapshot that cannot be written (disk full) must not stop the agent; the next tick tries again.
    } finally {
      writing = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), HEALTH_EVERY_MS);
  return () => clearInterval(timer);
}
