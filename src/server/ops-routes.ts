import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Clock } from '../core/clock.js';
import type { CommitQueue } from './group-commit.js';
import { HttpError, readBody, sendError, sendJson } from './http-io.js';
import type { OperationFilter, OpsStore, RecordResult } from './ops-store.js';
import type { Pushback } from './pushback.js';
import type { RouteContext, Router } from './router.js';

/** What an operation kind may look like: it comes from the path, and shows up in lists and logs. */
export const KIND_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** Visible ASCII, no spaces: UUIDs, ULIDs and the like. */
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const DEFAULT_LIST_LIMIT = 1000;
const MAX_LIST_LIMIT = 10_000;

export interface OperationEvent {
  id: number;
  kind: string;
  idempotencyKey?: string;
  /** The key was seen before: the first response was sent again and nothing was applied. */
  replayed: boolean;
}

export interface PushbackEvent {
  kind: string;
  status: number;
  retryAfterSeconds: number;
}

export interface OpsRoutesContext {
  /** The open store; throws a 503 HttpError while the server is stopping. */
  store(): OpsStore;
  /** Records new operations, sharing commits between concurrent requests. */
  commits: CommitQueue;
  pushback: Pushback;
  maxBodyBytes: number;
  clock: Clock;
  onOperation(event: OperationEvent): void;
  onPushback(event: PushbackEvent): void;
}

/**
 * `POST /ops/:kind` records an operation, honouring `Idempotency-Key`; `GET /ops` lists what was
 * received; `GET /ops/:id` shows one. A POST without a key is applied every time it arrives.
 */
export function addOpsRoutes(router: Router, context: OpsRoutesContext): void {
  router.add('POST', '/ops/:kind', (route) => postOperation(route, context));
  router.add('GET', '/ops', (route) => listOperations(route, context));
  router.add('GET', '/ops/:id', (route) => getOperation(route, context));
}

async function postOperation({ req, res, params }: RouteContext, context: OpsRoutesContext): Promise<void> {
  const kind = checkKind(params.kind as string);
  const idempotencyKey = idempotencyKeyOf(req);
  const pushback = context.pushback.current();
  if (pushback) {
    context.onPushback({ kind, ...pushback });
    const what = pushback.status === 429 ? 'too many requests' : 'the server is unavailable';
    sendError(
      res,
      new HttpError(
        pushback.status,
        pushback.status === 429 ? 'rate_limited' : 'unavailable',
        `${what} (pushback injected for testing); nothing was applied — retry after ${pushback.retryAfterSeconds}s ` +
          'with the same Idempotency-Key',
        { 'retry-after': String(pushback.retryAfterSeconds) },
      ),
    );
    return;
  }
  const body = await readBody(req, context.maxBodyBytes);
  const contentType = req.headers['content-type'];
  const result: RecordResult = await context.commits.record(
    {
      kind,
      body,
      appliedAtMs: context.clock.now(),
      ...(contentType === undefined ? {} : { contentType }),
      ...(idempotencyKey === undefined ? {} : { idempotencyKey, fingerprint: fingerprint(kind, body) }),
    },
    (applied) => ({ status: 201, body: JSON.stringify(applied) }),
  );
  if (result.outcome === 'conflict') {
    throw new HttpError(
      422,
      'idempotency_key_reused',
      `the Idempotency-Key '${idempotencyKey}' was reused for a different request: it was first used for ` +
        `operation ${result.operationId} (kind '${result.kind}') with a different kind or body. Use a new key ` +
        'for a new request; repeat a request with its own key and the same kind and body.',
    );
  }
  const replayed = result.outcome === 'replayed';
  const id = replayed ? result.operationId : result.operation.id;
  sendJson(res, result.response.status, result.response.body, {
    location: `/ops/${id}`,
    ...(replayed ? { 'idempotency-replayed': 'true' } : {}),
  });
  context.onOperation({ id, kind, ...(idempotencyKey === undefined ? {} : { idempotencyKey }), replayed });
}

function listOperations({ res, search }: RouteContext, context: OpsRoutesContext): void {
  const query = new URLSearchParams(search);
  const filter: OperationFilter = { limit: DEFAULT_LIST_LIMIT };
  const kind = query.get('kind');
  if (kind !== null) filter.kind = checkKind(kind);
  const since = query.get('since');
  if (since !== null) filter.sinceId = parseId(since, 'since');
  const limit = query.get('limit');
  if (limit !== null) {
    const value = /^\d+$/.test(limit) ? Number(limit) : Number.NaN;
    if (!(value >= 1 && value <= MAX_LIST_LIMIT)) {
      throw new HttpError(
        400,
        'bad_query',
        `limit must be a whole number from 1 to ${MAX_LIST_LIMIT}, got '${limit}'; page with ?since=<last id>`,
      );
    }
    filter.limit = value;
  }
  sendJson(res, 200, context.store().list(filter));
}

function getOperation({ res, params }: RouteContext, context: OpsRoutesContext): void {
  const id = parseId(params.id as string, 'the operation id');
  const operation = context.store().get(id);
  if (!operation) throw new HttpError(404, 'not_found', `no operation has id ${id}; GET /ops lists them`);
  sendJson(res, 200, operation);
}

function checkKind(kind: string): string {
  if (KIND_PATTERN.test(kind)) return kind;
  const shown = kind.length > 80 ? `${kind.slice(0, 80)}…` : kind;
  throw new HttpError(
    400,
    'invalid_kind',
    `'${shown}' is not a valid operation kind: use 1 to 64 letters, digits, '.', '_' or '-', as in ` +
      'POST /ops/sensor-reading',
  );
}

function parseId(text: string, what: string): number {
  const id = /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isNaN(id))
    throw new HttpError(
      400,
      'bad_id',
      `${what} must be a whole number, as returned by POST /ops/:kind; got '${text}'`,
    );
  return id;
}

/**
 * The `Idempotency-Key` header, if any: a raw token (`abc-123`) or, as the IETF draft writes it, a quoted
 * string (`"abc-123"`) — both name the same key.
 */
function idempotencyKeyOf(req: IncomingMessage): string | undefined {
  const raw = req.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const trimmed = typeof raw === 'string' ? raw.trim() : '';
  const key =
    trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1) : trimmed;
  if (KEY_PATTERN.test(key)) return key;
  throw new HttpError(
    400,
    'invalid_idempotency_key',
    'the Idempotency-Key header must be 1 to 255 visible ASCII characters without spaces (a UUID is ideal), ' +
      'sent once per request',
  );
}

/** What makes two requests under one key "the same request": the kind and the body, byte for byte. */
function fingerprint(kind: string, body: Buffer): string {
  return createHash('sha256').update(kind).update('\n').update(body).digest('base64url');
}
