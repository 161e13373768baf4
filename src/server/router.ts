import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './http-io.js';

/** What a handler gets: the request, the response, the path parameters and the query string. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** `:name` segments, percent-decoded; a trailing `*` is `params['*']` (the rest of the path, raw). */
  params: Record<string, string>;
  /** The query string without `?` ('' when there is none); parse with `new URLSearchParams(search)`. */
  search: string;
}

/** Answers the request (or throws an HttpError). A rejected promise is answered like a throw. */
export type RouteHandler = (context: RouteContext) => void | Promise<void>;

interface Route {
  /** Upper-case methods, or '*' for any (a handler that serves a whole protocol, like tus). */
  methods: readonly string[] | '*';
  segments: readonly string[];
  /** The pattern ends in `*`: it matches any rest of the path. */
  prefix: boolean;
  handler: RouteHandler;
}

export type RouteMatch =
  | { found: true; handler: RouteHandler; params: Record<string, string> }
  | { found: false; allow: string[] };

/**
 * A small route table: method + path pattern → handler. Patterns are literal segments, `:name` for one
 * segment, and a trailing `*` for the rest of the path (`/files/*`), so a feature adds its routes without
 * touching anyone else's. A GET route also answers HEAD. Routes are tried in the order they were added.
 */
export class Router {
  private readonly routes: Route[] = [];

  add(method: string | readonly string[], pattern: string, handler: RouteHandler): this {
    if (!pattern.startsWith('/')) throw new Error(`route pattern '${pattern}' must start with '/'`);
    const segments = splitPath(pattern);
    const prefix = segments.at(-1) === '*';
    if (prefix) segments.pop();
    const methods =
      method === '*' ? '*' : (typeof method === 'string' ? [method] : method).map((m) => m.toUpperCase());
    this.routes.push({ methods, segments, prefix, handler });
    return this;
  }

  /**
   * The handler for `method` and `path` (the path without its query string), or, when the path is known
   * but not the method, the methods it allows (for 405 and `Allow`); `allow` is empty for an unknown path.
   */
  match(method: string, path: string): RouteMatch {
    const parts = splitPath(path);
    const allow = new Set<string>();
    for (const route of this.routes) {
      const params = matchSegments(route, parts);
      if (!params) continue;
      if (route.methods === '*' || route.methods.includes(method))
        return { found: true, handler: route.handler, params };
      if (method === 'HEAD' && route.methods.includes('GET'))
        return { found: true, handler: route.handler, params };
      for (const allowed of route.methods) allow.add(allowed);
      if (route.methods.includes('GET')) allow.add('HEAD');
    }
    return { found: false, allow: [...allow] };
  }
}

/** "/ops/note/" → ["ops", "note"]; "/" → []. A trailing slash is ignored. */
function splitPath(path: string): string[] {
  const parts = path.split('/');
  parts.shift();
  if (parts.at(-1) === '') parts.pop();
  return parts;
}

function matchSegments(route: Route, parts: readonly string[]): Record<string, string> | undefined {
  const { segments } = route;
  if (route.prefix ? parts.length < segments.length : parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    const part = parts[i] as string;
    if (segment.startsWith(':')) {
      if (part === '') return undefined;
      params[segment.slice(1)] = decode(part);
    } else if (segment !== part) return undefined;
  }
  if (route.prefix) params['*'] = parts.slice(segments.length).join('/');
  return params;
}

function decode(part: string): string {
  if (!part.includes('%')) return part;
  try {
    return decodeURIComponent(part);
  } catch {
    throw new HttpError(400, 'bad_path', `the path segment '${part}' is not valid percent-encoding`);
  }
}
