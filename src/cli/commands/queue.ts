import { readFileSync } from 'node:fs';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { plural } from '../../core/format.js';
import { parseDurationMs } from '../../core/units.js';
import { ownerPid, processExists } from '../../node/process-owner.js';
import type { Runtime } from '../../node/runtime.js';
import { httpOperation } from '../../queue/http-operation.js';
import { ITEM_STATUSES, type ItemStatus, type QueueItem } from '../../queue/types.js';
import type { UploadWait } from '../../transfer/upload-state-store.js';
import { actionArgs, say } from '../action-args.js';
import { agentStatus } from '../agent-status.js';
import {
  type Command,
  EXIT,
  parseCount,
  parsePriority,
  takeConfigOption,
  UsageError,
  withRuntime,
} from '../command.js';
import { describeItem, endedHolder, itemReason } from '../describe-item.js';
import { followUploads } from '../follow-uploads.js';
import { type Output, paint, table } from '../output.js';
import { reportQueue } from '../queue-events.js';
import { ago, fromNow } from '../time-text.js';
import { UploadWaits, waitText } from '../upload-waits.js';

const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

const HELP = `lifeline queue — the durable outbox

Usage:
  lifeline queue add <url> [--method POST] [--data <json> | --data @file] [--header 'Name: value']
                           [--priority N] [--key <idempotency-key>]
  lifeline queue status            counts, paused or not, the link as the agent sees it
  lifeline queue list [--status pending|running|completed|dead] [--limit N]
  lifeline queue sync              send everything pending now, and say what happened
  lifeline queue pause | resume    stop / restart sending (the agent obeys within a second)
  lifeline queue remove <id>       drop an item that is not running
  lifeline queue retry [<id>]      bring dead items (one, or all) back with fresh attempts
  lifeline queue clear [--all]     remove completed and dead items (--all: pending ones too)
  lifeline queue purge [--older-than 1d]   remove completed items

Every view takes --json. Credentials (Authorization, Cookie…) are never stored in the queue: put them in
lifeline.config.json under http.headers, where values may read the environment: "\${env:API_TOKEN}".`;

type Handler = (runtime: Runtime, args: string[], output: Output) => Promise<number>;

export const queueCommand: Command = {
  name: 'queue',
  summary: 'add to, inspect and steer the durable queue of operations',
  help: HELP,
  async run(args, output) {
    const [sub, ...rest] = args;
    const handler = sub === undefined ? undefined : SUBCOMMANDS[sub];
    if (!handler) {
      throw new UsageError(
        sub === undefined
          ? 'which queue command? (add, status, list, sync, pause, resume, remove, retry, clear, purge)'
          : `unknown queue command '${sub}'`,
      );
    }
    const { configPath, rest: subArgs } = takeConfigOption(rest);
    return withRuntime(configPath, (runtime) => handler(runtime, subArgs, output));
  },
};

const SUBCOMMANDS: Record<string, Handler> = {
  async add(runtime, args, output) {
    const { values, positionals } = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        method: { type: 'string', default: 'POST' },
        data: { type: 'string' },
        header: { type: 'string', multiple: true },
        priority: { type: 'string', default: '0' },
        key: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
    const [target] = positionals;
    if (!target)
      throw new UsageError(
        'queue add needs a URL, e.g. lifeline queue add http://127.0.0.1:8080/ops/demo --data \'{"n":1}\'',
      );
    const url = target.startsWith('/') ? new URL(target, runtime.serverUrl).href : target;
    const priority = parsePriority(values.priority);
    const headers = parseHeaders(values.header ?? []);
    const body = values.data === undefined ? undefined : readData(values.data);
    if (body !== undefined && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
      headers['content-type'] = looksLikeJson(body) ? 'application/json' : 'text/plain; charset=utf-8';
    }
    const method = (values.method as string).toUpperCase();
    // A typo would be queued and only fail at the server, as a dead item: refuse it now.
    if (!HTTP_METHODS.includes(method))
      throw new UsageError(`--method: use one of ${HTTP_METHODS.join(', ')}, not '${values.method}'`);
    const operation = httpOperation(
      { method, url, headers, ...(body === undefined ? {} : { body }) },
      runtime.sensitiveHeaders,
    );
    // A key already stored means this operation is queued or sent already: nothing new is queued.
    const { item, inserted: fresh } = await runtime.queue.offer('http', operation, {
      priority,
      ...(values.key === undefined ? {} : { idempotencyKey: values.key }),
    });
    const sameRequest = fresh || sameHttpRequest(item.payload, operation);
    if (values.json) output.json({ ...item, fresh, ...(sameRequest ? {} : { refused: true }) });
    else if (fresh)
      output.line(`queued #${item.id} ${describeItem(item)} (idempotency key ${item.idempotencyKey})`);
    else if (sameRequest)
      output.line(
        `already queued as #${item.id} ${describeItem(item)}, ${item.status} (idempotency key ${item.idempotencyKey}): nothing new queued`,
      );
    else
      output.error(
        `not queued: idempotency key ${item.idempotencyKey} belongs to #${item.id} ${describeItem(item)} ` +
          `(${item.status}), a different request; an operation is sent once per key, so give this one a key of its own`,
      );
    return sameRequest ? EXIT.ok : EXIT.failed;
  },

  async status(runtime, args, output) {
    const { values } = parseArgs({ args, strict: true, options: { json: { type: 'boolean' } } });
    const status = await runtime.queue.status();
    const running = agentStatus(runtime.stateDir);
    const agent = running.running ? running.health : undefined;
    if (values.json) {
      // The store's figures and the agent's view: this command's own worker never ran (its link, its
      // concurrency and `workerStarted: false` would only contradict the agent's).
      const { link, runningHere, concurrency, workerStarted, ...stored } = status;
      output.json({
        ...stored,
        agent: agent ? { pid: agent.pid, link: agent.link.state } : null,
        path: `${runtime.stateDir}/queue.db`,
      });
      return EXIT.ok;
    }
    output.line(`Queue  ${runtime.stateDir}/queue.db`);
    const pendingNote =
      status.pending > 0
        ? `  (oldest ${ago(status.oldestPendingAtMs ?? Date.now())}, next attempt ${fromNow(status.nextDueAtMs ?? Date.now())})`
        : '';
    for (const line of table([
      ['  pending', String(status.pending) + pendingNote],
      ['  running', String(status.running)],
      ['  completed', String(status.completed)],
      ['  dead', status.dead > 0 ? paint(output, 'red', String(status.dead)) : '0'],
      ['  paused', status.paused ? paint(output, 'yellow', 'yes') : 'no'],
      [
        '  agent',
        agent
          ? `running (pid ${agent.pid}), link ${agent.link.state}`
          : await noAgent(runtime, status.running),
      ],
    ])) {
      output.line(line);
    }
    if (status.pending > 0 && !agent)
      output.line("Use 'lifeline queue sync' to send them now, or run 'lifeline agent'.");
    if (status.dead > 0)
      output.line("Use 'lifeline queue list --status dead' to see why, 'lifeline queue retry' to try again.");
    return EXIT.ok;
  },

  async list(runtime, args, output) {
    const { values } = parseArgs({
      args,
      strict: true,
      options: {
        status: { type: 'string' },
        limit: { type: 'string', default: '50' },
        json: { type: 'boolean' },
      },
    });
    if (values.status !== undefined && !ITEM_STATUSES.includes(values.status as ItemStatus)) {
      throw new UsageError(`--status: use one of ${ITEM_STATUSES.join(', ')}, not '${values.status}'`);
    }
    const items = await runtime.queue.list({
      ...(values.status === undefined ? {} : { status: values.status as ItemStatus }),
      limit: parseCount('--limit', values.limit),
    });
    if (values.json) {
      output.json(items);
      return EXIT.ok;
    }
    if (items.length === 0) {
      output.line(values.status ? `no ${values.status} items` : 'the queue is empty');
      return EXIT.ok;
    }
    const rows = [['ID', 'STATUS', 'PRI', 'TRIES', 'NEXT', 'AGE', 'OPERATION', 'LAST ERROR / REASON']];
    const waits = await UploadWaits.read(runtime.uploadState);
    for (const item of items) rows.push(row(item, output, await waits.forItem(item)));
    for (const line of table(rows)) output.line(line);
    return EXIT.ok;
  },

  async sync(runtime, args, output) {
    const { values } = parseArgs({ args, strict: true, options: { json: { type: 'boolean' } } });
    const json = values.json === true;
    const { pending, running, paused } = await runtime.queue.status();
    // Items a killed process left running are taken back by the sync: not "nothing to send".
    if (!json && !paused && pending > 0) output.line(`sending ${plural(pending, 'pending operation')}…`);
    else if (!json && !paused && running === 0) output.line('nothing to send');
    const view = followUploads(runtime, output, json); // uploads show their progress and retries
    const stop = reportQueue(runtime.queue, view.output, json, { uploadsFollowed: true });
    const summary = await runtime.queue.sync().finally(() => view.stop());
    stop();
    if (json) output.json({ event: 'summary', ...summary });
    else if (summary.paused) {
      output.line(
        `the queue is paused: nothing sent; ${plural(summary.remaining, 'operation')} pending ('lifeline queue resume' lets them go)`,
      );
    } else if (summary.attempted === 0 && summary.remaining === 0) {
      // "nothing to send" above said it, unless another process (the agent) is sending them.
      if (running > 0)
        output.line(`nothing to send here: ${plural(running, 'item')} running in another process`);
    } else {
      output.line(
        `sent ${summary.completed} of ${summary.attempted}; ${summary.retrying} will be retried, ${summary.dead} dead, ` +
          `${summary.released} waiting for the link; ${summary.remaining} pending now`,
      );
    }
    return summary.remaining === 0 && summary.dead === 0 ? EXIT.ok : EXIT.failed;
  },

  async pause(runtime, args, output) {
    const { json } = actionArgs('pause', args);
    await runtime.queue.pause();
    say(
      output,
      json,
      { event: 'paused' },
      () => 'paused: nothing is sent until `lifeline queue resume` (a running agent stops within a second)',
    );
    return EXIT.ok;
  },

  async resume(runtime, args, output) {
    const { json } = actionArgs('resume', args);
    await runtime.queue.resume();
    say(output, json, { event: 'resumed' }, () => 'resumed');
    return EXIT.ok;
  },

  async remove(runtime, args, output) {
    const { json, positionals } = actionArgs('remove', args, {}, 1);
    const id = itemId(positionals[0], 'remove');
    const item = await runtime.queue.get(id);
    if (!item) throw new UsageError(`no item #${id} in the queue`);
    if (!(await runtime.queue.remove(id))) {
      output.error(`#${id} is running right now; stop the agent or try again when it is done`);
      return EXIT.failed;
    }
    say(output, json, { event: 'removed', item }, () => `removed #${id} ${describeItem(item)}`);
    return EXIT.ok;
  },

  async retry(runtime, args, output) {
    const { json, positionals } = actionArgs('retry', args, {}, 1);
    const id = positionals[0] === undefined ? undefined : itemId(positionals[0], 'retry');
    const count = await runtime.queue.retryDead(id);
    if (id !== undefined && count === 0) {
      const item = await runtime.queue.get(id);
      throw new UsageError(
        item
          ? `#${id} is ${item.status}, not dead: only dead items are retried`
          : `no item #${id} in the queue ('lifeline queue list --status dead' lists the dead ones)`,
      );
    }
    say(output, json, { event: 'retried', count }, () =>
      count === 0 ? 'no dead items' : `${plural(count, 'dead item')} back in the queue, with fresh attempts`,
    );
    return EXIT.ok;
  },

  async clear(runtime, args, output) {
    const { json, values } = actionArgs('clear', args, { all: { type: 'boolean' } });
    const all = values.all === true;
    const count = await runtime.queue.clear({ includePending: all });
    say(
      output,
      json,
      { event: 'cleared', count },
      () =>
        `cleared ${plural(count, all ? 'item' : 'completed or dead item')}${all ? ' (running ones stay)' : ''}`,
    );
    return EXIT.ok;
  },

  async purge(runtime, args, output) {
    const { json, values } = actionArgs('purge', args, { 'older-than': { type: 'string', default: '0' } });
    const olderThanMs = parseDurationMs(values['older-than'] as string, '--older-than');
    const count = await runtime.queue.purgeCompleted({ olderThanMs });
    say(output, json, { event: 'purged', count }, () => `purged ${plural(count, 'completed item')}`);
    return EXIT.ok;
  },
};

/** One line of `queue list`; `wait` is what a running upload waits for (as `lifeline uploads` says). */
function row(item: QueueItem, output: Output, wait: UploadWait | undefined): string[] {
  const colour = { pending: 'yellow', running: 'blue', completed: 'green', dead: 'red' } as const;
  const reason = itemReason(item, endedHolder(item), wait && waitText(wait)) ?? '';
  return [
    `#${item.id}`,
    paint(output, colour[item.status], item.status),
    String(item.priority),
    `${item.attempts}/${item.maxAttempts}`,
    item.status === 'pending' ? fromNow(item.nextAttemptAtMs) : '',
    ago(item.createdAtMs),
    describeItem(item),
    reason,
  ];
}

function itemId(text: string | undefined, command: string): number {
  const id = Number(text?.replace(/^#/, ''));
  if (!Number.isInteger(id) || id <= 0)
    throw new UsageError(
      `queue ${command} needs an item id (see 'lifeline queue list'), not '${text ?? ''}'`,
    );
  return id;
}

function parseHeaders(lines: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new UsageError(`--header: use 'Name: value', not '${line}'`);
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}

function readData(data: string): string {
  if (!data.startsWith('@')) return data;
  try {
    return readFileSync(data.slice(1), 'utf8');
  } catch (error) {
    throw new UsageError(`--data: cannot read ${data.slice(1)} (${(error as Error).message})`);
  }
}

function looksLikeJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * "not running", and, when items run anyway, which processes run them: a `send --wait` or a `watch` runs
 * its own worker, and without this the queue looks stuck while it uploads.
 */
async function noAgent(runtime: Runtime, running: number): Promise<string> {
  if (running === 0) return 'not running';
  const live = new Map<number, number>(); // pid → items it runs
  const ended = new Set<number>();
  let elsewhere = 0;
  for (const item of await runtime.queue.list({ status: 'running', limit: 1000 })) {
    const pid = ownerPid(item.owner ?? '');
    if (pid === undefined) elsewhere++;
    else if (live.has(pid) || processExists(pid)) live.set(pid, (live.get(pid) ?? 0) + 1);
    else ended.add(pid);
  }
  const parts = ['not running'];
  if (live.size > 0) {
    const count = [...live.values()].reduce((sum, items) => sum + items, 0);
    const pids = [...live.keys()].join(', ');
    parts.push(
      `${plural(count, 'item')} running in ${live.size === 1 ? 'process' : 'processes'} ${pids}` +
        ' (a send --wait, a watch or a program of yours)',
    );
  }
  if (ended.size > 0)
    parts.push(
      `items left running by ${plural(ended.size, 'process', 'processes')} that ended (${[...ended].join(', ')}): ` +
        'the next agent or sync takes them back',
    );
  if (elsewhere > 0)
    parts.push(`${plural(elsewhere, 'item')} held by a queue elsewhere (another host or program)`);
  return parts.join('; ');
}

/** The same request, whatever the order of its fields or the case of its header names. */
function sameHttpRequest(stored: unknown, asked: object): boolean {
  const normal = (operation: unknown) => {
    const { headers, ...rest } = operation as { headers?: Record<string, string> };
    const lowered = Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]);
    return { ...rest, headers: Object.fromEntries(lowered) };
  };
  return isDeepStrictEqual(normal(stored), normal(asked));
}
