import { join } from 'node:path';
import { FailureLog } from '../analytics/failure-log.js';
import { type Clock, realClock } from '../core/clock.js';
import type { EventSource } from '../core/events.js';
import { parseBytesPerSecond } from '../core/units.js';
import { createFetch, type ResilientFetch } from '../http/resilient-fetch.js';
import { ConnectivityMonitor } from '../network/connectivity-monitor.js';
import { QualityMonitor } from '../network/quality-monitor.js';
import { exponentialBackoff } from '../policy/backoff.js';
import { PolicyRegistry } from '../policy/registry.js';
import { DEFAULT_SENSITIVE_HEADERS, httpHandler } from '../queue/http-operation.js';
import type { LinkStatus } from '../queue/link.js';
import type { OperationQueue } from '../queue/operation-queue.js';
import { ByteThrottle } from '../transfer/byte-throttle.js';
import { LinkHistory } from '../transfer/link-history.js';
import type { TusTransport } from '../transfer/tus-transport.js';
import type { UploadStateStore } from '../transfer/upload-state-store.js';
import { expandEnv, loadConfig } from './config.js';
import type { LifelineConfig } from './config-schema.js';
import { createDurableQueue } from './durable-queue.js';
import { linkProbe } from './link-probe.js';
import { holdUploadsWhilePaused } from './paused-uploads.js';
import { SqliteFailureStore } from './sqlite-failure-store.js';
import { SqliteUploadStateStore } from './sqlite-upload-state-store.js';
import { ensureDirectory, stateDirectory } from './state-dir.js';
import { createUndiciFetch } from './undici-fetch.js';
import { undiciTusTransport } from './undici-tus-transport.js';
import { type UploadRunEvents, uploadHandler } from './upload-operation.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';
const FAILURE_HISTORY_MS = 7 * 24 * 3_600_000;

export interface RuntimeOptions {
  /** An explicit config file; default lifeline.config.json in the current or the state directory. */
  configPath?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  /**
   * Judge the link by this URL (`send --to`, `watch --to`: the upload endpoint) when it is on another host
   * than the configured server and no `probe.url` is configured: any answer short of 5xx means it is up
   * (a tus endpoint answers HEAD with 404 or 405, yet it is there).
   */
  linkProbeUrl?: string;
}

/** Everything the agent and the CLI work with, built once from the configuration. */
export interface Runtime {
  config: LifelineConfig;
  configPath: string | undefined;
  stateDir: string;
  serverUrl: string;
  /** What the link is judged by: the URL the connectivity monitor probes. */
  linkUrl: string;
  registry: PolicyRegistry;
  quality: QualityMonitor;
  connectivity: ConnectivityMonitor;
  failureLog: FailureLog;
  fetch: ResilientFetch;
  /** The durable queue, with the built-in `http` and `upload` kinds registered. */
  queue: OperationQueue;
  /** The tus endpoint uploads go to by default. */
  uploadEndpoint: string;
  /** The bandwidth limit all uploads share (changeable while they run). */
  uploadThrottle: ByteThrottle;
  uploadState: UploadStateStore;
  /** Each upload as it starts, to follow its progress. */
  uploads: EventSource<UploadRunEvents>;
  sensitiveHeaders: string[];
  close(): Promise<void>;
}

/**
 * Opens the state directory and builds the runtime: one connectivity monitor and one quality monitor
 * shared by the queue and HTTP, a breaker per host in one registry, the failure log on disk, and the queue.
 * Nothing starts running: the agent calls `connectivity.start()` and `queue.start()`.
 */
export async function openRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const env = options.env ?? process.env;
  const { config, path: configPath } = loadConfig({
    ...(options.configPath === undefined ? {} : { path: options.configPath }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env,
  });
  const stateDir = ensureDirectory(stateDirectory(env));
  const clock = options.clock;
  const serverUrl = config.server ?? DEFAULT_SERVER;
  const byEndpoint =
    config.probe?.url === undefined &&
    options.linkProbeUrl !== undefined &&
    new URL(options.linkProbeUrl).origin !== new URL(serverUrl).origin;
  const linkUrl = byEndpoint
    ? (options.linkProbeUrl as string)
    : (config.probe?.url ?? new URL('/health', serverUrl).href);
  const registry = new PolicyRegistry();
  for (const [name, circuit] of Object.entries(config.circuits ?? {})) {
    const { windowCalls, ...rate } = circuit.failureRate ?? { threshold: 0 };
    registry.circuitBreaker(name.includes(':') || name.includes('.') ? `http ${name}` : name, {
      ...(circuit.consecutiveFailures === undefined
        ? {}
        : { consecutiveFailures: circuit.consecutiveFailures }),
      ...(circuit.resetTimeoutMs === undefined ? {} : { resetTimeoutMs: circuit.resetTimeoutMs }),
      ...(circuit.failureRate ? { failureRate: { ...rate, window: { calls: windowCalls ?? 20 } } } : {}),
      ...(clock ? { clock } : {}),
    });
  }

  const quality = new QualityMonitor({
    ...(clock ? { clock } : {}),
    maxConcurrency: config.queue?.concurrency ?? 4,
  });
  // Built below; the monitor first probes once the agent or a command starts it.
  const built: { queue?: OperationQueue } = {};
  const connectivity = new ConnectivityMonitor({
    probe: linkProbe({
      url: linkUrl,
      anyAnswer: byEndpoint,
      ...(config.probe?.url === undefined
        ? {
            queuedWork: async (limit) =>
              (await built.queue?.list({ status: ['pending', 'running'], limit })) ?? [],
          }
        : {}),
    }),
    quality,
    ...(config.probe?.intervalMs === undefined
      ? {}
      : {
          intervalMs: config.probe.intervalMs,
          // While offline, probe at least as often as while online: recovery is noticed within an interval.
          offlineBackoff: exponentialBackoff({
            initialDelayMs: Math.min(1000, config.probe.intervalMs),
            maxDelayMs: Math.min(30_000, config.probe.intervalMs),
            jitter: 'equal',
          }),
        }),
    ...(config.probe?.timeoutMs === undefined ? {} : { probeTimeoutMs: config.probe.timeoutMs }),
    ...(clock ? { clock } : {}),
  });

  const failureStore = new SqliteFailureStore({ path: join(stateDir, 'failures.db') });
  const failureLog = new FailureLog({ store: failureStore, ...(clock ? { clock } : {}) });
  await failureLog.load((clock ?? realClock).now() - FAILURE_HISTORY_MS);

  const transport = createUndiciFetch();
  const retry = config.retry ?? {};
  const fetch = createFetch({
    fetch: transport.fetch,
    registry,
    maxAttempts: retry.maxAttempts ?? 3,
    backoff: exponentialBackoff({
      initialDelayMs: retry.initialDelayMs ?? 200,
      maxDelayMs: retry.maxDelayMs ?? 10_000,
      jitter: retry.jitter ?? 'full',
    }),
    ...(retry.timeoutMs === undefined ? {} : { timeoutMs: retry.timeoutMs }),
    ...(retry.stallTimeoutMs === undefined ? {} : { stallTimeoutMs: retry.stallTimeoutMs }),
    ...(retry.maxRetryAfterMs === undefined ? {} : { maxRetryAfterMs: retry.maxRetryAfterMs }),
    ...(clock ? { clock } : {}),
  });
  failureLog.attach(fetch, { component: 'http' });
  fetch.on('success', () => connectivity.reportSuccess());
  fetch.on('attemptFailure', ({ error }) => connectivity.reportFailure(error));

  const queueSettings = config.queue ?? {};
  // Traffic reports where it is made — each fetch attempt (above), each tus request (below) — so the queue
  // reads the link's state only: reporting each item's outcome too would count every request twice.
  const linkState: LinkStatus = {
    get state() {
      return connectivity.state;
    },
    on: (name, listener) => connectivity.on(name, listener),
  };
  const queue = createDurableQueue({
    path: join(stateDir, 'queue.db'),
    ...(queueSettings.synchronous === undefined ? {} : { synchronous: queueSettings.synchronous }),
    connectivity: linkState,
    quality,
    maxConcurrency: queueSettings.concurrency ?? 4,
    ...(queueSettings.maxAttempts === undefined ? {} : { maxAttempts: queueSettings.maxAttempts }),
    backoff: exponentialBackoff({
      initialDelayMs: queueSettings.initialDelayMs ?? 1000,
      maxDelayMs: queueSettings.maxDelayMs ?? 300_000,
    }),
    ...(clock ? { clock } : {}),
  });
  const configuredHeaders = config.http?.headers ?? {};
  const headersFor = (url: URL) => {
    const headers: Record<string, string> = {};
    for (const scope of ['*', url.host, url.hostname]) {
      for (const [name, value] of Object.entries(configuredHeaders[scope] ?? {}))
        headers[name] = expandEnv(value, env);
    }
    return headers;
  };
  built.queue = queue;
  queue.handle('http', httpHandler({ fetch, headersFor }));

  const transfer = config.transfer ?? {};
  const limit = transfer.bytesPerSecond;
  const uploadThrottle = new ByteThrottle({
    ...(limit === undefined
      ? {}
      : {
          bytesPerSecond:
            typeof limit === 'number' ? limit : parseBytesPerSecond(limit, 'transfer.bytesPerSecond'),
        }),
    ...(clock ? { clock } : {}),
  });
  const uploadState = new SqliteUploadStateStore({ path: join(stateDir, 'uploads.db') });
  const tus = undiciTusTransport();
  const reportedTus: TusTransport = async (request) => {
    try {
      const response = await tus.transport(request);
      connectivity.reportSuccess();
      return response;
    } catch (error) {
      connectivity.reportFailure(error);
      throw error;
    }
  };
  const uploads = uploadHandler({
    stateStore: uploadState,
    transport: reportedTus,
    throttle: uploadThrottle,
    connectivity,
    // One link, one history: a connection lost during one upload paces the next from its first byte.
    linkHistory: new LinkHistory(clock ? { clock } : {}),
    headersFor,
    ...(transfer.stallTimeoutMs === undefined ? {} : { stallTimeoutMs: transfer.stallTimeoutMs }),
    ...(transfer.chunkSizeBytes === undefined ? {} : { chunkSizeBytes: transfer.chunkSizeBytes }),
  });
  // An upload may take hours on a slow link: small operations keep a slot beside it.
  queue.handle('upload', uploads.handler, { background: true });
  holdUploadsWhilePaused(queue, uploads.events);
  queue.on('dead', ({ item, reason, error }) =>
    failureLog.record(
      {
        kind: error?.kind ?? 'permanent',
        retryable: false,
        serviceFault: false,
        message: reason,
        cause: null,
        ...(error?.code === undefined ? {} : { code: error.code }),
        ...(error?.status === undefined ? {} : { status: error.status }),
      },
      {
        operation: `queue ${item.kind}`,
        component: 'queue',
        severity: 'error',
        metadata: { itemId: item.id },
      },
    ),
  );

  return {
    config,
    configPath,
    stateDir,
    serverUrl,
    linkUrl,
    registry,
    quality,
    connectivity,
    failureLog,
    fetch,
    queue,
    uploadEndpoint: transfer.endpoint ?? new URL('/files/', serverUrl).href,
    uploadThrottle,
    uploadState,
    uploads: uploads.events,
    sensitiveHeaders: (config.http?.sensitiveHeaders ?? DEFAULT_SENSITIVE_HEADERS).map((name) =>
      name.toLowerCase(),
    ),
    async close() {
      await queue.close();
      await connectivity.stop();
      await transport.close();
      await tus.close();
      await uploadState.close();
      failureStore.close();
    },
  };
}
