import { isProcessOwnerAlive, ownerPid } from '../node/process-owner.js';
import type { HttpOperation } from '../queue/http-operation.js';
import type { QueueItem } from '../queue/types.js';

/** "POST 127.0.0.1:8080/ops/demo" for an http item; the kind and a short payload for others. */
export function describeItem(item: QueueItem): string {
  if (item.kind === 'http') {
    const operation = item.payload as HttpOperation;
    try {
      const url = new URL(operation.url);
      return `${operation.method} ${url.host}${url.pathname}${url.search}`;
    } catch {
      return `${operation.method} ${operation.url}`;
    }
  }
  if (item.kind === 'upload') {
    const upload = item.payload as { path: string; endpoint: string };
    const name = upload.path.split('/').pop() ?? upload.path;
    try {
      return `upload ${name} → ${new URL(upload.endpoint).host}`;
    } catch {
      return `upload ${name}`;
    }
  }
  const text = JSON.stringify(item.payload) ?? '';
  return `${item.kind} ${text.length > 40 ? `${text.slice(0, 37)}…` : text}`;
}

/**
 * The pid of the process on this host that left `item` running and has since ended (killed, crashed);
 * undefined when the item is not running or its holder is alive (or elsewhere, so nobody can tell).
 */
export function endedHolder(item: QueueItem): number | undefined {
  if (item.status !== 'running' || !item.owner || isProcessOwnerAlive(item.owner)) return undefined;
  return ownerPid(item.owner); // not alive: a process of this host, so it has a pid
}

/** What a person should know of an item left running by a process that ended. */
export const endedHolderText = (pid: number) =>
  `its process (${pid}) ended before it finished: the next agent or sync takes it back`;

/**
 * What to show beside an item: why it is dead; nothing once completed (an earlier attempt's error is
 * history); the ended process that left it running; else `waitingFor` (what a running item waits for,
 * when known) or its last error.
 */
export function itemReason(
  item: QueueItem,
  endedPid = endedHolder(item),
  waitingFor?: string,
): string | undefined {
  if (item.status === 'dead') return item.deadReason;
  if (item.status === 'completed') return undefined;
  if (endedPid !== undefined) return endedHolderText(endedPid);
  return waitingFor ?? lastErrorText(item);
}

/** The last error, without a breaker's countdown: stored with the error, it would be stale (NEXT says when). */
function lastErrorText(item: QueueItem): string | undefined {
  const error = item.lastError;
  if (error?.kind !== 'circuit-open') return error?.message;
  return `held back: ${error.message.replace(/; calls fail fast — .*$/, '')}`;
}
