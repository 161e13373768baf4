import type { FailureKind } from './failure.js';

/** The built-in knowledge of `classify()`: which HTTP statuses and error codes mean what. */

export interface TableEntry {
  kind: FailureKind;
  message: string;
}

/** Statuses named here are classified as given; any other 5xx is transient, any other 4xx permanent. */
export const STATUS_TABLE: Readonly<Record<number, FailureKind>> = {
  400: 'permanent',
  401: 'permanent',
  403: 'permanent',
  404: 'permanent',
  405: 'permanent',
  408: 'timeout',
  409: 'permanent',
  410: 'permanent',
  413: 'permanent',
  415: 'permanent',
  422: 'permanent',
  425: 'transient',
  429: 'rate-limited',
  500: 'transient',
  501: 'permanent',
  502: 'transient',
  503: 'transient',
  504: 'timeout',
};

/** Statuses whose responses may name a wait (Retry-After, RateLimit-Reset). */
export const STATUSES_WITH_WAIT: ReadonlySet<number> = new Set([429, 503]);

export const REASON_PHRASES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  425: 'Too Early',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Node (libuv) and undici error codes. */
export const CODE_TABLE: Readonly<Record<string, TableEntry>> = {
  ECONNRESET: { kind: 'transient', message: 'connection reset' },
  ECONNREFUSED: { kind: 'transient', message: 'connection refused' },
  ECONNABORTED: { kind: 'transient', message: 'connection aborted' },
  EPIPE: { kind: 'transient', message: 'broken pipe (the peer closed the connection)' },
  ETIMEDOUT: { kind: 'timeout', message: 'connection timed out' },
  ESOCKETTIMEDOUT: { kind: 'timeout', message: 'socket timed out' },
  ENETUNREACH: { kind: 'offline', message: 'network unreachable' },
  ENETDOWN: { kind: 'offline', message: 'network is down' },
  EHOSTUNREACH: { kind: 'offline', message: 'host unreachable' },
  EHOSTDOWN: { kind: 'offline', message: 'host is down' },
  EAI_AGAIN: { kind: 'offline', message: 'DNS lookup failed temporarily' },
  // On a working link this is a wrong host name; on a broken one, DNS is unreachable. Retrying is cheap
  // and bounded by maxAttempts, so it is treated as the link's fault.
  ENOTFOUND: { kind: 'offline', message: 'host name not found (DNS)' },
  UND_ERR_CONNECT_TIMEOUT: { kind: 'timeout', message: 'connect timed out' },
  UND_ERR_SOCKET: { kind: 'transient', message: 'socket closed by the peer' },
  UND_ERR_CLOSED: { kind: 'transient', message: 'connection closed' },
  UND_ERR_HEADERS_TIMEOUT: { kind: 'timeout', message: 'timed out waiting for response headers' },
  UND_ERR_BODY_TIMEOUT: { kind: 'timeout', message: 'timed out waiting for the response body' },
  UND_ERR_ABORTED: { kind: 'cancelled', message: 'request aborted' },
  ERR_STREAM_PREMATURE_CLOSE: { kind: 'transient', message: 'stream closed before it ended' },
  ABORT_ERR: { kind: 'cancelled', message: 'cancelled' },
};
