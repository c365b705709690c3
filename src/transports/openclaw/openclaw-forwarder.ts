/**
 * AgentDelivery into the local OpenClaw gateway: POST <gateway>/hooks/agent (openclaw-hooks.md §1).
 * The gateway answers at admission, never with the model's reply, so success has `reply: null`:
 * the agent answers later through `mesh reply`. HTTP goes through the injected Transport.
 *
 * Gateway answers (openclaw-hooks.md §3): 2xx → delivered; 408, 409, 429, 5xx and network errors →
 * transient (Retry-After honoured); 3xx and other 4xx (400 bad field, 401/403 token, 404 hooks off,
 * 413 too large) → permanent, because repeating the same request cannot succeed.
 */
import type { AgentDelivery, HandOff, HandOffResult } from '../../ports/agent-delivery.ts';
import type { Transport, TransportResult } from '../../ports/transport.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { DEFAULT_MAX_INLINE_ATTACHMENT_CHARS, frameForAgent } from './framing.ts';
import { hasAllowedPrefix, sessionKeyFor } from './session-key.ts';

export const DEFAULT_GATEWAY_TIMEOUT_MS = 30_000;
const TRANSIENT_STATUSES = new Set([408, 409, 425, 429]);
const ERROR_SNIPPET_MAX = 200;

export interface OpenClawForwarderOptions {
  transport: Transport;
  /** e.g. http://127.0.0.1:18789 */
  gatewayUrl: string;
  hookToken: string;
  /** The gateway's hooks.path. */
  hookPath?: string;
  /** Mirror of the gateway's hooks.allowedSessionKeyPrefixes. */
  allowedSessionKeyPrefixes?: readonly string[];
  defaultSessionKeyPrefix?: string;
  /** false when the gateway has hooks.allowRequestSessionKey off (it would answer 400 to any sessionKey). */
  sendSessionKey?: boolean;
  sessionMode?: 'isolated' | 'persistent';
  /** Shown to the model as `Task: <name>`. */
  name?: string;
  /** OpenClaw's `deliver`: false keeps the agent's final text out of the main session. */
  deliver?: boolean;
  agentId?: string;
  timeoutMs?: number;
  connectTimeoutMs?: number;
  maxInlineAttachmentChars?: number;
}

function oneLineSnippet(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > ERROR_SNIPPET_MAX ? `${flat.slice(0, ERROR_SNIPPET_MAX)}…` : flat;
}

/** Gateway answer → hand-off outcome. Exported for table tests. */
export function classifyGatewayAnswer(r: TransportResult): HandOffResult {
  if (r.status === null) {
    const code = r.networkError ?? 'network';
    return { ok: false, transient: code !== 'invalid_request', error: `gateway unreachable (${code})`, retryAfterMs: null };
  }
  if (r.status >= 200 && r.status < 300) return { ok: true, reply: null };
  const detail = oneLineSnippet(r.bodySnippet);
  const error = `gateway answered ${r.status}${detail === '' ? '' : `: ${detail}`}`;
  const transient = TRANSIENT_STATUSES.has(r.status) || r.status >= 500;
  return { ok: false, transient, error, retryAfterMs: transient ? r.retryAfterMs : null };
}

export function createOpenClawForwarder(o: OpenClawForwarderOptions): AgentDelivery {
  let base: URL;
  try {
    base = new URL(o.gatewayUrl);
  } catch {
    throw new MeshError(MeshErrorCode.ConfigInvalid, 'OpenClaw gateway URL is not a URL', { details: { field: 'gatewayUrl' } });
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new MeshError(MeshErrorCode.ConfigInvalid, 'OpenClaw gateway URL must be http or https', { details: { field: 'gatewayUrl' } });
  }
  if (o.hookToken.trim() === '') {
    throw new MeshError(MeshErrorCode.ConfigInvalid, 'OpenClaw forwarding needs the gateway hook token', { details: { field: 'hookToken' } });
  }
  const allowed = o.allowedSessionKeyPrefixes ?? ['hook:'];
  const defaultPrefix = o.defaultSessionKeyPrefix ?? 'hook:mesh:';
  if (!hasAllowedPrefix(defaultPrefix, allowed)) {
    throw new MeshError(MeshErrorCode.ConfigInvalid, 'defaultSessionKeyPrefix must start with an allowed session key prefix', {
      details: { defaultSessionKeyPrefix: defaultPrefix, allowedSessionKeyPrefixes: allowed },
    });
  }
  const hookPath = `/${(o.hookPath ?? '/hooks').replace(/^\/+|\/+$/g, '')}`;
  const url = `${o.gatewayUrl.replace(/\/+$/, '')}${hookPath}/agent`;
  const timeoutMs = o.timeoutMs ?? DEFAULT_GATEWAY_TIMEOUT_MS;
  const maxInline = o.maxInlineAttachmentChars ?? DEFAULT_MAX_INLINE_ATTACHMENT_CHARS;

  async function deliver(h: HandOff): Promise<HandOffResult> {
    const id = h.envelope.id;
    const body: Record<string, unknown> = {
      message: frameForAgent(h, maxInline),
      name: o.name ?? 'MESH',
      deliver: o.deliver ?? false,
      idempotencyKey: id,
    };
    if (o.sendSessionKey ?? true) body['sessionKey'] = sessionKeyFor(h.sessionKey, h.envelope, allowed, defaultPrefix);
    if (o.sessionMode !== undefined) body['sessionMode'] = o.sessionMode;
    if (o.agentId !== undefined) body['agentId'] = o.agentId;

    const result = await o.transport.send({
      url,
      token: o.hookToken,
      body: JSON.stringify(body),
      // The gateway de-duplicates on this (5 min after completion), so a retried hand-off does not run twice.
      headers: { 'Idempotency-Key': id },
      timeoutMs,
      ...(o.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: o.connectTimeoutMs }),
    });
    return classifyGatewayAnswer(result);
  }

  return { name: 'openclaw', deliver };
}
