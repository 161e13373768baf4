import { NEVER_ABORTED } from '../core/abort.js';
import { type Classifier, classify as defaultClassify } from '../core/classify.js';
import { type Clock, realClock } from '../core/clock.js';
import { BodyNotReplayableError } from '../core/errors.js';
import { Emitter, type EventSource } from '../core/events.js';
import type { Failure } from '../core/failure.js';
import type { CircuitBreaker } from '../policy/circuit-breaker.js';
import { Pipeline, type PipelineEvents } from '../policy/pipeline.js';
import type { Policy, PolicyContext } from '../policy/policy.js';
import { defaultRegistry } from '../policy/registry.js';
import { type RetryEvent, RetryPolicy } from '../policy/retry.js';
import { discardBody, guardBody } from './body-guard.js';
import { HostPolicies } from './host-policies.js';
import { HttpStatusError } from './http-status-error.js';
import {
  type EffectiveSettings,
  effectiveSettings,
  type ResilientFetchOptions,
  type ResilientRequestInit,
} from './options.js';
import { IDEMPOTENT_METHODS, NOT_SENT_CODES, planRequest, type RequestPlan } from './request-plan.js';

export interface HttpEvents extends PipelineEvents {
  request: { method: string; url: string; attempt: number };
  response: { method: string; url: string; attempt: number; status: number; durationMs: number };
  retry: RetryEvent & { method: string; url: string };
  pushback: { host: string; retryAfterMs: number; untilMs: number };
  stall: { method: string; url: string; stallTimeoutMs: number };
}

/** `fetch`, made resilient; also an event source (a FailureLog can attach to it). */
export interface ResilientFetch extends EventSource<HttpEvents> {
  (input: string | URL | Request, init?: ResilientRequestInit): Promise<Response>;
  /** The breaker of a host ("127.0.0.1:8080"), once a request has gone there. */
  breakerFor(host: string): CircuitBreaker | undefined;
}

/**
 * The global fetch run through lifeline's policies. Per request: retries with backoff of what `classify`
 * calls retryable, server-named waits honoured exactly, an Idempotency-Key on POST and PATCH (the same on
 * every attempt), a timeout until the headers and a stall timeout on the body. Per host, shared by every
 * request: a circuit breaker, and pushback — a 429 or 503 that names a wait pauses the whole host.
 *
 * Like fetch, it resolves with the response for any HTTP status (the last one, when retries ran out) and
 * rejects for what has no response: network failures, timeouts, an open breaker, a wait too long.
 */
class HttpClient extends Emitter<HttpEvents> {
  private readonly fetchImpl: typeof globalThis.fetch;
  private readonly classify: Classifier;
  private readonly clock: Clock;
  private readonly hosts = new Map<string, HostPolicies>();

  constructor(private readonly options: ResilientFetchOptions) {
    super();
    effectiveSettings(options); // fail on bad options at construction
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.classify = options.classify ?? defaultClassify;
    this.clock = options.clock ?? realClock;
  }

  breakerFor(host: string): CircuitBreaker | undefined {
    return this.hosts.get(host)?.breaker;
  }

  async fetch(input: string | URL | Request, init: ResilientRequestInit = {}): Promise<Response> {
    const { lifeline = {}, ...requestInit } = init;
    const plan = await planRequest(input, requestInit, {
      idempotencyKey: lifeline.idempotencyKey,
      defaultHeaders: mergeHeaders(this.options.headers, this.options.hosts?.[hostOf(input)]?.headers),
    });
    const host = plan.url.host;
    const settings = effectiveSettings(this.options, this.options.hosts?.[host], lifeline);
    const policies = this.hostPolicies(host, settings.maxRetryAfterMs);
    const operation = lifeline.operation ?? `${plan.method} ${host}`;
    const url = plan.url.href;
    const signal = requestInit.signal ?? undefined;

    const pipeline = this.pipelineFor(plan, settings, policies, url);
    let previous: Response | undefined;
    let lastAttemptError: unknown;
    let attempts = 0;
    const attempt = async (context: PolicyContext): Promise<Response> => {
      attempts = context.attempt;
      // A retried response's body is not wanted: release its connection.
      discardBody(previous);
      previous = undefined;
      try {
        return await this.send(plan, context, policies, url);
      } catch (error) {
        if (error instanceof HttpStatusError) previous = error.response;
        lastAttemptError = error;
        this.emit('attemptFailure', { error, attempt: context.attempt, operation });
        throw error;
      }
    };

    let response: Response;
    try {
      response = await pipeline.execute(attempt, signal ? { signal } : undefined);
    } catch (error) {
      this.emit('failure', { error, fromAttempt: error === lastAttemptError, operation });
      // It would have been retried, but the stream it sent cannot be sent again: say so.
      if (plan.oneShotBody && this.classify(error).retryable) throw new BodyNotReplayableError(error);
      // Retries ran out on an HTTP status: hand the last response over, as fetch would.
      if (error instanceof HttpStatusError)
        return this.guard(error.response, plan, settings.stallTimeoutMs, signal);
      throw error;
    }
    this.emit('success', { attempt: attempts, operation });
    return this.guard(response, plan, settings.stallTimeoutMs, signal);
  }

  /**
   * The policies one request runs through. They depend only on the host, the settings and whether the
   * request may be repeated, so they are built once per combination and reused — unless someone listens
   * for retry events (which then carry this request's URL).
   */
  private pipelineFor(
    plan: RequestPlan,
    settings: EffectiveSettings,
    policies: HostPolicies,
    url: string,
  ): Pipeline {
    const repeat: Repeat = plan.oneShotBody
      ? 'never'
      : IDEMPOTENT_METHODS.has(plan.method) || plan.idempotencyKey !== undefined
        ? 'always'
        : 'unsent';
    const build = () => {
      const retry = new RetryPolicy({
        maxAttempts: settings.maxAttempts,
        ...(settings.backoff ? { backoff: settings.backoff } : {}),
        maxRetryAfterMs: settings.maxRetryAfterMs,
        classify: this.classify,
        clock: this.clock,
        ...(this.options.budget ? { budget: this.options.budget } : {}),
        shouldRetry: (failure) => failure.retryable && mayRepeat(repeat, failure),
      });
      if (this.listening('retry')) {
        retry.on('retry', (event) => this.emit('retry', { ...event, method: plan.method, url }));
      }
      const layers: Policy[] = [retry, policies.gate.limitedTo(settings.maxRetryAfterMs)];
      if (policies.breaker) layers.push(policies.breaker);
      layers.push(policies.timeout(settings.timeoutMs));
      return new Pipeline(layers);
    };
    if (this.listening('retry')) return build();
    // Keyed by what a request may set for itself as well: the queue's http items all ask for a 2 s wait
    // limit, and share one pipeline instead of building one per request.
    const { maxAttempts, timeoutMs, maxRetryAfterMs } = settings;
    return policies.pipeline(`${repeat}|${maxAttempts}|${timeoutMs}|${maxRetryAfterMs}`, build);
  }

  /** One attempt: send, and turn a retryable status into an error the policies can see. */
  private async send(
    plan: RequestPlan,
    context: PolicyContext,
    policies: HostPolicies,
    url: string,
  ): Promise<Response> {
    const startedMs = this.listening('response') ? this.clock.now() : 0;
    if (this.listening('request'))
      this.emit('request', { method: plan.method, url, attempt: context.attempt });
    const response = await this.fetchImpl(plan.url, { ...plan.init, signal: context.signal });
    if (this.listening('response')) {
      const durationMs = this.clock.now() - startedMs;
      this.emit('response', {
        method: plan.method,
        url,
        attempt: context.attempt,
        status: response.status,
        durationMs,
      });
    }
    if (response.status < 400) return response;
    const failure: Failure = this.classify(response);
    // Pushback is shared: the whole host waits, not just this request.
    if (failure.retryAfterMs !== undefined && failure.retryAfterMs > 0)
      policies.gate.pauseFor(failure.retryAfterMs);
    if (failure.retryable) throw new HttpStatusError(response, failure);
    return response;
  }

  private guard(
    response: Response,
    plan: RequestPlan,
    stallTimeoutMs: number,
    signal: AbortSignal | undefined,
  ) {
    return guardBody(response, {
      stallTimeoutMs,
      clock: this.clock,
      signal: signal ?? NEVER_ABORTED,
      onStall: () => this.emit('stall', { method: plan.method, url: plan.url.href, stallTimeoutMs }),
    });
  }

  private hostPolicies(host: string, maxRetryAfterMs: number): HostPolicies {
    let policies = this.hosts.get(host);
    if (!policies) {
      policies = new HostPolicies(host, this.clock, {
        registry: this.options.registry ?? defaultRegistry,
        breaker: this.options.circuitBreaker,
        classify: this.classify,
        maxRetryAfterMs,
      });
      policies.gate.on('pushback', (event) => this.emit('pushback', event));
      this.hosts.set(host, policies);
    }
    return policies;
  }
}

/** Whether a request may be sent again: always (idempotent or keyed), only if surely unsent, or never (a stream). */
type Repeat = 'always' | 'unsent' | 'never';

function mayRepeat(repeat: Repeat, failure: Failure): boolean {
  if (repeat === 'never') return false;
  if (repeat === 'always') return true;
  return failure.code !== undefined && NOT_SENT_CODES.has(failure.code);
}

function hostOf(input: string | URL | Request): string {
  if (input instanceof URL) return input.host;
  try {
    return new URL(input instanceof Request ? input.url : input).host;
  } catch {
    return '';
  }
}

/** The configured headers, later sources winning; undefined when none are configured (the usual case). */
function mergeHeaders(
  ...sources: Array<ConstructorParameters<typeof Headers>[0] | undefined>
): Headers | undefined {
  if (sources.every((source) => source === undefined)) return undefined;
  const merged = new Headers();
  for (const source of sources) for (const [name, value] of new Headers(source)) merged.set(name, value);
  return merged;
}

/** Makes a resilient fetch with its own settings (per host, too) and its own events. */
export function createFetch(options: ResilientFetchOptions = {}): ResilientFetch {
  const client = new HttpClient(options);
  const resilient = ((input: string | URL | Request, init?: ResilientRequestInit) =>
    client.fetch(input, init)) as ResilientFetch;
  resilient.on = (name, listener) => client.on(name, listener);
  resilient.breakerFor = (host) => client.breakerFor(host);
  return resilient;
}

let shared: ResilientFetch | undefined;

/** fetch with lifeline's defaults: 3 attempts, 30 s timeouts, a breaker per host. */
export function resilientFetch(
  input: string | URL | Request,
  init?: ResilientRequestInit,
): Promise<Response> {
  shared ??= createFetch();
  return shared(input, init);
}
