import { anyOfProbe } from '../network/any-of-probe.js';
import { httpProbe } from '../network/http-probe.js';
import type { Probe } from '../network/probe.js';
import type { QueueItem } from '../queue/types.js';

/** Queued items looked at for the servers work goes to, and how many of those servers a probe asks. */
const ITEMS_LOOKED_AT = 200;
const SERVERS_ASKED = 8;

/** How the runtime judges the link. */
export interface LinkProbeOptions {
  /** The configured health URL (or the `send --to` endpoint, judged by `anyAnswer`). */
  url: string;
  /** Any answer short of 5xx means up (an endpoint, not a health check, is asked). */
  anyAnswer: boolean;
  /**
   * The queue's unfinished items, when the servers they go to count too (no `probe.url` configured: an
   * explicit one is the user's choice of what the link is).
   */
  queuedWork?: (limit: number) => Promise<QueueItem[]>;
}

/**
 * The runtime's link probe: the health URL, and — when queued work goes to other servers — those servers
 * too, any of which answering means the link is up. Without that, an agent whose configured server is
 * down would hold back an upload queued for another host (`send --to`) as "waiting for the link",
 * though that host answers.
 */
export function linkProbe(options: LinkProbeOptions): Probe {
  const primary = httpProbe({
    url: options.url,
    ...(options.anyAnswer ? { isHealthy: (response) => response.status < 500 } : {}),
  });
  const { queuedWork } = options;
  if (!queuedWork) return primary;
  const ownOrigin = new URL(options.url).origin;
  const byOrigin = new Map<string, Probe>(); // kept: each remembers whether its server takes HEAD
  return anyOfProbe(primary, async () => {
    const origins = workOrigins(await queuedWork(ITEMS_LOOKED_AT)).filter((origin) => origin !== ownOrigin);
    return origins.slice(0, SERVERS_ASKED).map((origin) => {
      let probe = byOrigin.get(origin);
      if (!probe) {
        // The server's root: any answer at all (404 included) shows the link reaches it.
        const ask = httpProbe({ url: `${origin}/`, isHealthy: (response) => response.status < 500 });
        const host = new URL(origin).host;
        probe = async (context) => {
          const result = await ask(context);
          const detail = result.ok
            ? `${host} answered, where queued work goes`
            : `${host}, where queued work goes, did not answer either`;
          return { ...result, detail };
        };
        byOrigin.set(origin, probe);
      }
      return probe;
    });
  });
}

/** The distinct origins queued items go to: an upload's tus endpoint, an http operation's URL. */
export function workOrigins(items: readonly QueueItem[]): string[] {
  const origins = new Set<string>();
  for (const { payload } of items) {
    const target = payload as { endpoint?: unknown; url?: unknown } | null;
    const url = typeof target?.endpoint === 'string' ? target.endpoint : target?.url;
    if (typeof url === 'string' && URL.canParse(url)) origins.add(new URL(url).origin);
  }
  return [...origins];
}
