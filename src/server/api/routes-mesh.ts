/**
 * `GET /api/mesh` (the overview bash's collect_mesh_data returned), and the two side-channel
 * endpoints bash nodes post to on port 8880 (bash-mesh-behavior.md §11.2, §14 F):
 * `POST /api/mesh/consensus` (mesh-consensus-set.sh: expects `{"ok":true}`) and
 * `POST /api/mesh/response` (response ingestion: recorded unverified, never counted).
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { meshOverview } from '../../node/mesh-overview.ts';
import { isValidAgentName } from '../../protocol/names.ts';
import { readJson } from './api-body.ts';
import type { ApiContext } from './api-context.ts';
import type { ApiEnv } from './api-env.ts';
import { queryInt } from './api-query.ts';

const conversationId = z.string().min(1).max(100);

export const consensusBody = z.object({
  conversationId,
  verdict: z.string().max(1000),
  summary: z.string().max(10_000).nullable().optional(),
  round: z.number().int().min(1).max(100_000).optional(),
});

export const responseBody = z.object({
  conversationId,
  from: z.string().max(64).refine(isValidAgentName, { message: 'must be an agent name' }),
  body: z.string().max(100_000),
  /** bash's send time (informational; the node records its own receive time). */
  ts: z.union([z.string().max(64), z.number()]).nullable().optional(),
});

export function mountMeshRoutes(app: Hono<ApiEnv>, ctx: ApiContext): void {
  app.get('/api/mesh', (c) => {
    const hours = queryInt(c, 'hours', 1, 24 * 90);
    return c.json({ ok: true, ...meshOverview(ctx.node, hours === undefined ? {} : { hours }) });
  });

  app.post('/api/mesh/consensus', async (c) => {
    const b = await readJson(c, consensusBody, ctx.maxBodyBytes());
    const r = await ctx.conversations().setVerdict(b.conversationId, b.verdict, b.summary ?? null, { round: b.round });
    return c.json({ ok: true, conversationId: r.conversationId, verdict: r.verdict, notified: r.notified });
  });

  app.post('/api/mesh/response', async (c) => {
    const b = await readJson(c, responseBody, ctx.maxBodyBytes());
    const r = ctx.conversations().recordSideChannelResponse({ conversationId: b.conversationId, from: b.from, body: b.body });
    return c.json({
      ok: true, duplicate: r.outcome === 'already_recorded', conversationId: r.conversationId, round: r.round, from: r.from,
      responseId: r.responseId, verified: false, counted: false,
    });
  });
}
