/**
 * The local API app (Hono): guard (api-guard.ts), then the routes. Every answer is JSON except the
 * event stream; every failure is `{"ok":false,"code","error"}` (api-errors.ts). docs/api.md is the
 * reference. The dashboard's static files (routes-dashboard.ts) mount on the same app (`/`,
 * `/assets/…`), behind the same guard.
 */
import { Hono, type Context } from 'hono';
import type { ApiContext } from './api-context.ts';
import { ApiCode, failAnswer, failureOf } from './api-errors.ts';
import type { ApiBindings, ApiEnv } from './api-env.ts';
import { apiGuard, type GuardOptions } from './api-guard.ts';
import { mountConversationRoutes } from './routes-conversations.ts';
import { mountDashboardRoutes } from './routes-dashboard.ts';
import { mountEventRoutes } from './routes-events.ts';
import { mountInboxRoutes } from './routes-inbox.ts';
import { mountMeshRoutes } from './routes-mesh.ts';
import { mountMessageRoutes } from './routes-messages.ts';

export type ApiApp = Hono<ApiEnv>;

/** The routes and their methods (for 405 answers). */
const ROUTES: ReadonlyArray<[RegExp, string]> = [
  [/^\/api\/health$/, 'GET, HEAD'],
  [/^\/api\/mesh$/, 'GET, HEAD'],
  [/^\/api\/mesh\/(consensus|response)$/, 'POST'],
  [/^\/api\/conversations(\/[^/]+)?$/, 'GET, HEAD'],
  [/^\/api\/inbox(\/[^/]+)?$/, 'GET, HEAD'],
  [/^\/api\/inbox\/[^/]+\/(ack|reply)$/, 'POST'],
  [/^\/api\/(send|request)$/, 'POST'],
  [/^\/api\/events$/, 'GET'],
  [/^\/$/, 'GET, HEAD'],
];

export function clientAddress(c: Context<ApiEnv>): string {
  return (c.env as ApiBindings | undefined)?.incoming?.socket?.remoteAddress ?? 'unknown';
}

export function createApiApp(ctx: ApiContext, guard: Omit<GuardOptions, 'clientKey'>): ApiApp {
  const app = new Hono<ApiEnv>();
  app.use('*', apiGuard({ ...guard, clientKey: clientAddress }));
  app.get('/api/health', (c) => c.json({
    ok: true, agent: ctx.node.self, version: ctx.version, eventSeq: ctx.node.store.events.latestSeq(),
  }));
  mountMeshRoutes(app, ctx);
  mountConversationRoutes(app, ctx);
  mountInboxRoutes(app, ctx);
  mountMessageRoutes(app, ctx);
  mountEventRoutes(app, ctx);
  mountDashboardRoutes(app, ctx);

  app.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    const route = ROUTES.find(([re]) => re.test(path));
    if (route !== undefined) return failAnswer(ApiCode.MethodNotAllowed, `use ${route[1]}`, {}, { allow: route[1] });
    return failAnswer(ApiCode.NotFound, 'no such route (see docs/api.md)');
  });
  app.onError((err) => {
    const known = failureOf(err);
    if (known !== null) return failAnswer(known.code, known.message, known.extra, known.headers);
    // Details stay in the log (MeshError messages are secret-free by contract); the client learns nothing.
    const e = err as { code?: unknown; name?: unknown };
    ctx.node.logger.error('api request failed', { error: typeof e.code === 'string' ? e.code : String(e.name) });
    return failAnswer(ApiCode.Internal, 'internal error');
  });
  return app;
}
