/**
 * The dashboard's static files on the API listener: `GET /` (the page), `/assets/app/…` (its ES
 * modules, stylesheet, icon) and `/assets/vendor/…` (preact and htm from node_modules). Only the
 * paths of the allow-list (dashboard-files.ts) exist. Behind the same guard as the API; every file
 * carries a strict Content-Security-Policy (scripts and connections to this origin only, no inline
 * script or style, no eval, DOM sinks closed by Trusted Types), is revalidated by its ETag on each
 * use (`Cache-Control: no-cache`), and is never sniffed (the guard sets nosniff).
 */
import type { Hono } from 'hono';
import type { ApiContext } from './api-context.ts';
import { ApiCode, failAnswer } from './api-errors.ts';
import type { ApiEnv } from './api-env.ts';
import { DashboardFiles } from './dashboard-files.ts';

export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  // Peer text reaches the page only as text nodes; with Trusted Types, any HTML sink (innerHTML…) throws.
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*');
}

export function mountDashboardRoutes(app: Hono<ApiEnv>, ctx: ApiContext, files = new DashboardFiles()): void {
  for (const path of files.paths()) {
    app.get(path, (c) => {
      let file;
      try {
        file = files.get(path);
      } catch (e) {
        ctx.node.logger.error('dashboard file unreadable (is the package built and installed whole?)', {
          path, error: (e as { code?: unknown }).code === undefined ? 'unreadable' : String((e as { code?: unknown }).code),
        });
        return failAnswer(ApiCode.Internal, 'this dashboard file is missing from the installation');
      }
      if (file === null) return failAnswer(ApiCode.NotFound, 'no such file');
      const headers: Record<string, string> = {
        'content-type': file.contentType,
        'cache-control': 'no-cache',
        etag: file.etag,
        'content-security-policy': DASHBOARD_CSP,
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-resource-policy': 'same-origin',
      };
      if (etagMatches(c.req.header('if-none-match'), file.etag)) return new Response(null, { status: 304, headers });
      return new Response(file.body, { status: 200, headers: { ...headers, 'content-length': String(file.body.byteLength) } });
    });
  }
}
