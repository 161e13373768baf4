import { z } from 'zod';

const durationMs = z.number().min(0);
const positiveInteger = z.number().int().min(1);

const breakerSchema = z.strictObject({
  consecutiveFailures: z.number().int().min(0).optional(),
  resetTimeoutMs: durationMs.optional(),
  failureRate: z
    .strictObject({
      threshold: z.number().gt(0).max(1),
      minimumCalls: positiveInteger.optional(),
      windowCalls: positiveInteger.optional(),
    })
    .optional(),
});

/**
 * lifeline.config.json. Every field is optional; defaults are documented beside each. Unknown keys are
 * refused, so a typo is reported instead of silently ignored.
 */
export const configSchema = z.strictObject({
  /** The server the agent talks to by default (probes, `queue add` with a path). Default http://127.0.0.1:8080. */
  server: z.url().optional(),
  /** Retries of one HTTP attempt inside an operation (the queue retries whole operations). */
  retry: z
    .strictObject({
      maxAttempts: positiveInteger.optional(),
      initialDelayMs: durationMs.optional(),
      maxDelayMs: durationMs.optional(),
      jitter: z.enum(['none', 'full', 'equal', 'decorrelated']).optional(),
      timeoutMs: durationMs.optional(),
      stallTimeoutMs: durationMs.optional(),
      maxRetryAfterMs: durationMs.optional(),
    })
    .optional(),
  /** Circuit breakers by name; a host name ("api.example.com:443") configures that host's breaker. */
  circuits: z.record(z.string(), breakerSchema).optional(),
  /** How the agent watches the link. */
  probe: z
    .strictObject({
      /** Default `<server>/health`. */
      url: z.url().optional(),
      intervalMs: durationMs.optional(),
      timeoutMs: durationMs.optional(),
    })
    .optional(),
  queue: z
    .strictObject({
      /** Upper bound on operations at once; the link's quality may advise fewer. Default 4. */
      concurrency: positiveInteger.optional(),
      maxAttempts: positiveInteger.optional(),
      initialDelayMs: durationMs.optional(),
      maxDelayMs: durationMs.optional(),
      /** `full` (default): an acknowledged enqueue survives power loss. `normal`: faster, survives crashes only. */
      synchronous: z.enum(['full', 'normal']).optional(),
    })
    .optional(),
  /** Uploads (`lifeline send`, `lifeline watch`). */
  transfer: z
    .strictObject({
      /** The tus endpoint. Default `<server>/files/`. */
      endpoint: z.url().optional(),
      /** A limit shared by all uploads: bytes per second, or text like "2mbit" or "256KB/s". */
      bytesPerSecond: z.union([z.number().min(1), z.string()]).optional(),
      /** Default 4 MiB. */
      chunkSizeBytes: positiveInteger.optional(),
      /** No byte moving for this long cuts the request and resumes. Default 30 s. */
      stallTimeoutMs: durationMs.optional(),
    })
    .optional(),
  http: z
    .strictObject({
      /**
       * Headers added when an `http` operation is sent, by host ("*" for all). Values may name
       * environment variables, `${env:API_TOKEN}`, so secrets need not sit in the file.
       */
      headers: z.record(z.string(), z.record(z.string(), z.string())).optional(),
      /** Never stored in a queued item; they must come from `headers` at send time. */
      sensitiveHeaders: z.array(z.string()).optional(),
    })
    .optional(),
});

export type LifelineConfig = z.infer<typeof configSchema>;
