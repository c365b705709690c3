/**
 * Who may call the local API, checked before any route (cheap and secret-free checks first):
 *
 *  1. no token in the query string (`?token=`, `?access_token=`…): 400 token_in_query;
 *  2. Host: on a loopback listener the Host header must name this listener (127.0.0.1, localhost,
 *     [::1] or the bound address, with its port), so a web page whose name was rebound to 127.0.0.1
 *     (DNS rebinding) gets 403 forbidden_host instead of a same-origin view of the API;
 *  3. cross-site browser requests: `Sec-Fetch-Site` other than same-origin/none, or an `Origin` that
 *     is not this listener's own origin (`http://<Host>`), get 403 cross_site. The one exception is a
 *     top-level navigation (a link to the dashboard page) outside /api/;
 *  4. the API token, when required (bound beyond loopback, or `api.requireToken`):
 *     `Authorization: Bearer <token>`, else 401 (429 after 20 failures within 60 s from one address).
 *     Hook tokens are a different secret and never open it;
 *  5. requests with a body (POST…) must say `Content-Type: application/json` (415 otherwise): an HTML
 *     form cannot send that type, and a script on another site cannot without a CORS preflight, which
 *     this API never grants.
 * Loopback clients need no token: anyone who can open a socket to 127.0.0.1 on this host can use the
 * API, so on a host shared with other users set `api.requireToken`.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { ApiCode, failAnswer } from './api-errors.ts';
import type { ApiEnv } from './api-env.ts';

export interface GuardOptions {
  /** The address the listener is bound to. */
  boundHost: string;
  boundIsLoopback: boolean;
  /** The port it listens on (known once it listens). */
  port: () => number;
  /** Read per request (live configuration): whether every request needs the API token. */
  tokenRequired: () => boolean;
  authenticate: (given: string | null, client: string) => { ok: true } | { ok: false; lockedForMs: number };
  clientKey: (c: Context<ApiEnv>) => string;
}

const TOKEN_PARAM_RE = /token|^auth|^bearer$|^api[-_]?key$/i;
const BEARER_RE = /^bearer[ \t]+(\S+)[ \t]*$/i;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** The names a browser may use for this listener in its Host header ("host:port", lowercase). */
export function allowedHosts(boundHost: string, port: number): Set<string> {
  const bound = boundHost.includes(':') && !boundHost.startsWith('[') ? `[${boundHost}]` : boundHost;
  return new Set(['127.0.0.1', 'localhost', '[::1]', bound.toLowerCase()].map((h) => `${h}:${port}`));
}

export function bearerOf(authorization: string | undefined): string | null {
  const m = authorization === undefined ? null : BEARER_RE.exec(authorization.trim());
  return m?.[1] ?? null;
}

export function isJsonContentType(value: string | undefined): boolean {
  return value !== undefined && value.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

function hostOf(c: Context<ApiEnv>): string | null {
  const h = c.req.header('host');
  if (h !== undefined) return h.trim().toLowerCase();
  try {
    return new URL(c.req.url).host.toLowerCase();
  } catch {
    return null;
  }
}

export function apiGuard(o: GuardOptions): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const url = new URL(c.req.url);
    for (const name of url.searchParams.keys()) {
      if (TOKEN_PARAM_RE.test(name)) {
        return failAnswer(ApiCode.TokenInQuery, 'send the API token in the Authorization: Bearer header, never in the URL');
      }
    }
    const host = hostOf(c);
    if (o.boundIsLoopback && (host === null || !allowedHosts(o.boundHost, o.port()).has(host))) {
      return failAnswer(ApiCode.ForbiddenHost, 'the Host header does not name this listener (use http://127.0.0.1:<port>)');
    }
    const site = c.req.header('sec-fetch-site')?.toLowerCase();
    const isApi = url.pathname === '/api' || url.pathname.startsWith('/api/');
    const navigation = !isApi && (c.req.method === 'GET' || c.req.method === 'HEAD') && c.req.header('sec-fetch-mode') === 'navigate';
    if (site !== undefined && site !== 'same-origin' && site !== 'none' && !navigation) {
      return failAnswer(ApiCode.CrossSite, 'cross-site requests are refused');
    }
    const origin = c.req.header('origin');
    if (origin !== undefined && (host === null || origin.toLowerCase() !== `http://${host}`)) {
      return failAnswer(ApiCode.CrossSite, 'requests from another origin are refused');
    }
    if (o.tokenRequired()) {
      const auth = o.authenticate(bearerOf(c.req.header('authorization')), o.clientKey(c));
      if (!auth.ok) {
        if (auth.lockedForMs > 0) {
          return failAnswer(ApiCode.RateLimited, 'too many failed authentication attempts', {}, { 'retry-after': String(Math.max(1, Math.ceil(auth.lockedForMs / 1000))) });
        }
        return failAnswer(ApiCode.Unauthorized, 'this API needs its token: Authorization: Bearer <token> (mesh api token)', {}, { 'www-authenticate': 'Bearer realm="mesh-api"' });
      }
    }
    if (BODY_METHODS.has(c.req.method) && !isJsonContentType(c.req.header('content-type'))) {
      return failAnswer(ApiCode.UnsupportedMediaType, 'send the body as Content-Type: application/json');
    }
    await next();
    c.res.headers.set('x-content-type-options', 'nosniff');
    c.res.headers.set('x-frame-options', 'DENY');
    c.res.headers.set('referrer-policy', 'no-referrer');
    if (isApi) {
      c.res.headers.set('cache-control', 'no-store');
      c.res.headers.set('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
    }
    return undefined;
  };
}
