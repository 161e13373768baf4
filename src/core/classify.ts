import { CODE_TABLE, REASON_PHRASES, STATUS_TABLE, STATUSES_WITH_WAIT } from './classify-table.js';
import { LifelineError } from './errors.js';
import { type Failure, type FailureKind, KIND_DEFAULTS } from './failure.js';
import { type HeaderSource, serverNamedWaitMs } from './retry-after.js';

/** Turns any error or HTTP response into a `Failure`. */
export type Classifier = (input: unknown) => Failure;

/**
 * A user rule. Rules are tried in order before the built-in table, so they can both extend it (a code it
 * does not know) and override it (treat 409 as transient for one API). The first rule that matches wins.
 */
export interface ClassifyRule {
  /** HTTP statuses the rule covers. */
  status?: number | readonly number[];
  /** Error codes the rule covers, looked up through the whole `cause` chain. */
  code?: string | readonly string[];
  /** Any other test on the raw input. When given with status or code, all must match. */
  match?: (input: unknown) => boolean;
  kind: FailureKind;
  /** Defaults to the kind's default (see KIND_DEFAULTS). */
  retryable?: boolean;
  /** Defaults to the kind's default (see KIND_DEFAULTS). */
  serviceFault?: boolean;
  /** Replaces the message; defaults to what the table would say. */
  message?: string;
}

export interface ClassifierOptions {
  rules?: readonly ClassifyRule[];
  /**
   * Upper bound on a server-named wait (Retry-After and friends). A larger value is capped to this, never
   * trusted blindly. Default 1 hour.
   */
  maxRetryAfterMs?: number;
  /** Source of "now" for HTTP-date Retry-After values. Default `Date.now`. */
  now?: () => number;
}

const DEFAULT_MAX_RETRY_AFTER_MS = 3_600_000;
const MAX_CAUSE_DEPTH = 8;
const MAX_VISITED = 32;

/** What classify extracts from its input before it consults rules and table. */
interface Evidence {
  status?: number;
  headers?: HeaderSource;
  /** Known-to-us or first string code found along the cause chain. */
  code?: string;
  /** Every string code along the cause chain, outermost first. */
  codes: string[];
  /** AbortError / TimeoutError by name along the chain. */
  names: string[];
  /** The input's own message. */
  message: string;
  /** The innermost message along the cause chain ("other side closed" under "fetch failed"). */
  innerMessage: string;
  lifeline?: LifelineError;
}

export function createClassifier(options: ClassifierOptions = {}): Classifier {
  const rules = options.rules ?? [];
  const maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  const now = options.now ?? Date.now;

  return function classify(input: unknown): Failure {
    const evidence = gather(input);
    for (const rule of rules) {
      if (ruleMatches(rule, evidence, input))
        return fromRule(rule, evidence, input, builtIn(evidence, input));
    }
    return builtIn(evidence, input);
  };

  function builtIn(evidence: Evidence, input: unknown): Failure {
    if (evidence.lifeline) {
      const { traits, code, message } = evidence.lifeline;
      return { ...traits, code, message, cause: input };
    }
    if (evidence.status !== undefined) return fromStatus(evidence, input);
    if (evidence.names.includes('AbortError')) return make('cancelled', 'cancelled', input, evidence.code);
    if (evidence.names.includes('TimeoutError')) return make('timeout', 'timed out', input, evidence.code);
    for (const code of evidence.codes) {
      const entry = CODE_TABLE[code];
      if (entry) return make(entry.kind, withAddress(entry.message, input), input, code);
    }
    if (isFetchFailed(input)) {
      // fetch never connects to ports the Fetch standard blocks (9, 6000, 10080…): say so, not just "bad port".
      const blocked = evidence.innerMessage === 'bad port' ? ' (fetch refuses this port; use another)' : '';
      return make('transient', `network error: ${evidence.innerMessage}${blocked}`, input, evidence.code);
    }
    // Unknown errors are not retried: retrying hides bugs. Teach classify with a rule instead.
    return make('permanent', evidence.message, input, evidence.code);
  }

  function fromStatus(evidence: Evidence, input: unknown): Failure {
    const status = evidence.status as number;
    const kind: FailureKind = STATUS_TABLE[status] ?? (status >= 500 ? 'transient' : 'permanent');
    const failure = make(kind, statusMessage(status, input), input, evidence.code);
    failure.status = status;
    if (status === 401) failure.needsAuth = true;
    if (STATUSES_WITH_WAIT.has(status)) {
      const waitMs = serverNamedWaitMs(evidence.headers, now());
      if (waitMs !== undefined) failure.retryAfterMs = Math.min(waitMs, maxRetryAfterMs);
    }
    return failure;
  }
}

/** The default classifier: the built-in table, no user rules. */
export const classify: Classifier = createClassifier();

function make(kind: FailureKind, message: string, cause: unknown, code: string | undefined): Failure {
  const defaults = KIND_DEFAULTS[kind];
  const failure: Failure = {
    kind,
    retryable: defaults.retryable,
    serviceFault: defaults.serviceFault,
    message,
    cause,
  };
  if (code !== undefined) failure.code = code;
  return failure;
}

function fromRule(rule: ClassifyRule, evidence: Evidence, input: unknown, table: Failure): Failure {
  const defaults = KIND_DEFAULTS[rule.kind];
  const failure: Failure = {
    ...table,
    kind: rule.kind,
    retryable: rule.retryable ?? defaults.retryable,
    serviceFault: rule.serviceFault ?? defaults.serviceFault,
    message: rule.message ?? table.message,
    cause: input,
  };
  if (evidence.status !== undefined) failure.status = evidence.status;
  return failure;
}

function ruleMatches(rule: ClassifyRule, evidence: Evidence, input: unknown): boolean {
  if (rule.status === undefined && rule.code === undefined && rule.match === undefined) return false;
  if (rule.status !== undefined) {
    const statuses = typeof rule.status === 'number' ? [rule.status] : rule.status;
    if (evidence.status === undefined || !statuses.includes(evidence.status)) return false;
  }
  if (rule.code !== undefined) {
    const codes = typeof rule.code === 'string' ? [rule.code] : rule.code;
    if (!evidence.codes.some((code) => codes.includes(code))) return false;
  }
  return rule.match === undefined || rule.match(input);
}

function gather(input: unknown): Evidence {
  const message = describe(input);
  const evidence: Evidence = { codes: [], names: [], message, innerMessage: message };
  const response = asResponse(input);
  if (response) {
    evidence.status = response.status;
    evidence.headers = response.headers;
  }
  visit(input, 0, evidence, { remaining: MAX_VISITED });
  evidence.code = evidence.codes.find((code) => code in CODE_TABLE) ?? evidence.codes[0];
  return evidence;
}

/**
 * Walks the cause chain (and AggregateError's `errors`) depth first, collecting codes and names. Bounded by
 * depth and by a visit budget, so a cyclic or enormous chain cannot hang classification.
 */
function visit(value: unknown, depth: number, evidence: Evidence, budget: { remaining: number }): void {
  if (value === null || typeof value !== 'object' || depth > MAX_CAUSE_DEPTH || budget.remaining-- <= 0)
    return;
  if (value instanceof LifelineError && !evidence.lifeline) evidence.lifeline = value;
  const { code, name, cause, errors, message } = value as {
    code?: unknown;
    name?: unknown;
    cause?: unknown;
    errors?: unknown;
    message?: unknown;
  };
  if (typeof code === 'string') evidence.codes.push(code);
  if (typeof name === 'string') evidence.names.push(name);
  if (depth > 0 && typeof message === 'string' && message.length > 0) evidence.innerMessage = message;
  if (cause !== undefined) visit(cause, depth + 1, evidence, budget);
  if (Array.isArray(errors)) for (const inner of errors) visit(inner, depth + 1, evidence, budget);
}

/** Response-likes: fetch's Response, node's IncomingMessage, or an HTTP error carrying a status. */
function asResponse(input: unknown): { status: number; headers?: HeaderSource } | undefined {
  if (input === null || typeof input !== 'object') return undefined;
  const candidate = input as {
    status?: unknown;
    statusCode?: unknown;
    headers?: unknown;
    response?: { status?: unknown; statusCode?: unknown; headers?: unknown };
  };
  const pick = (status: unknown, headers: unknown) =>
    isHttpStatus(status)
      ? { status, headers: (headers ?? undefined) as HeaderSource | undefined }
      : undefined;
  return (
    pick(candidate.status, candidate.headers) ??
    pick(candidate.statusCode, candidate.headers) ??
    (candidate.response && typeof candidate.response === 'object'
      ? (pick(candidate.response.status, candidate.response.headers) ??
        pick(candidate.response.statusCode, candidate.response.headers))
      : undefined)
  );
}

function isHttpStatus(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 100 && value <= 599;
}

function isFetchFailed(input: unknown): boolean {
  return (
    input instanceof TypeError && /fetch failed|network|Failed to fetch|Load failed/i.test(input.message)
  );
}

function statusMessage(status: number, input: unknown): string {
  // An error that says more than its status (what was being done, the server's words) keeps its message.
  if (input instanceof Error && input.message.includes(`HTTP ${status}`)) return input.message;
  const statusText = (input as { statusText?: unknown }).statusText;
  const phrase =
    typeof statusText === 'string' && statusText.length > 0 ? statusText : REASON_PHRASES[status];
  return phrase ? `HTTP ${status} ${phrase}` : `HTTP ${status}`;
}

/** "connection refused" → "connection refused (127.0.0.1:8080)" when the error says where. */
function withAddress(message: string, input: unknown): string {
  let current: unknown = input;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH && current && typeof current === 'object'; depth++) {
    const { address, port, hostname } = current as { address?: unknown; port?: unknown; hostname?: unknown };
    const host = typeof address === 'string' ? address : typeof hostname === 'string' ? hostname : undefined;
    if (host) return typeof port === 'number' ? `${message} (${host}:${port})` : `${message} (${host})`;
    current = (current as { cause?: unknown }).cause;
  }
  return message;
}

function describe(input: unknown): string {
  if (input instanceof Error) return input.message || input.name;
  if (typeof input === 'string') return input;
  const response = asResponse(input);
  if (response) return `HTTP ${response.status}`;
  try {
    return JSON.stringify(input) ?? String(input);
  } catch {
    return String(input);
  }
}
