/**
 * The A2A 1.0 JSON-RPC client side of MESH (docs/a2a.md): a MESH envelope to an A2A agent becomes a
 * SendMessage with `returnImmediately` (the agent's answer is fetched later with GetTask, so one
 * delivery attempt never waits for an agent to think), its messageId the envelope id (so a retried
 * attempt is the same message to a server that de-duplicates, as MESH does). Outcomes are reported
 * like HTTP ones, never thrown: an A2A error that retrying cannot fix (bad params, unsupported) is a
 * 400, an internal error a 503, no answer a network error; delivery/classify.ts decides the rest.
 * The bearer token is sent only in the Authorization header and never appears in a result.
 */
import type { OutboundRequest, RemoteA2ATask, TransportResult } from '../../ports/transport.ts';

const SNIPPET_CHARS = 300;
/**
 * An A2A JSON-RPC endpoint answers every call with HTTP 200 (errors included), so a 404 means the
 * endpoint is not served right now, not that the message is wrong: an OpenClaw gateway answers 404 on
 * /a2a/v1 for seconds after /health is up, until its a2a channel has registered its routes. It is
 * reported as 503 (retried, counts against the breaker); a URL that is wrong for good runs out of
 * retries and is dead-lettered as `all_retries_exhausted`.
 */
const ENDPOINT_NOT_SERVED_STATUS = 503;
/** A2A error codes a retry cannot fix. */
const PERMANENT_CODES = new Set([-32700, -32600, -32601, -32602, -32001, -32002, -32003, -32004, -32005, -32006, -32009]);

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function networkErrorOf(e: unknown): string {
  const name = (e as Error)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return 'timeout';
  const code = (e as { cause?: { code?: string } })?.cause?.code ?? '';
  if (code === 'ECONNREFUSED') return 'connection_refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'dns';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'reset';
  return 'network';
}

function textOf(parts: unknown): string[] {
  if (!Array.isArray(parts)) return [];
  return parts.flatMap((p) => (isObj(p) && typeof p['text'] === 'string' ? [p['text']] : isObj(p) && p['data'] !== undefined ? [JSON.stringify(p['data'])] : []));
}

/** The task in a SendMessage/GetTask result (v1.0 `{task}` or a bare task), or a direct message as a finished task. */
export function remoteTaskOf(result: unknown): RemoteA2ATask | null {
  const r = isObj(result) && isObj(result['task']) ? result['task'] : result;
  if (isObj(r) && typeof r['id'] === 'string' && isObj(r['status'])) {
    const status = r['status'];
    const state = typeof status['state'] === 'string' ? status['state'] : 'TASK_STATE_UNSPECIFIED';
    const artifacts = Array.isArray(r['artifacts']) ? r['artifacts'] : [];
    const texts = artifacts.flatMap((a) => (isObj(a) ? textOf(a['parts']) : []));
    const statusText = isObj(status['message']) ? textOf(status['message']['parts']) : [];
    const all = texts.length > 0 ? texts : statusText;
    return { id: r['id'].slice(0, 256), contextId: typeof r['contextId'] === 'string' ? r['contextId'].slice(0, 256) : '', state, text: all.length > 0 ? all.join('\n') : null };
  }
  const m = isObj(result) && isObj(result['message']) ? result['message'] : null;
  if (m !== null) {
    const t = textOf(m['parts']);
    return { id: typeof m['messageId'] === 'string' ? `message:${m['messageId'].slice(0, 200)}` : 'message', contextId: typeof m['contextId'] === 'string' ? m['contextId'] : '', state: 'TASK_STATE_COMPLETED', text: t.join('\n') };
  }
  return null;
}

async function call(url: string, token: string | null, method: string, params: unknown, timeoutMs: number): Promise<TransportResult> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json', accept: 'application/json', 'a2a-version': '1.0',
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
    text = await res.text();
  } catch (e) {
    return { status: null, networkError: networkErrorOf(e), retryAfterMs: null, bodySnippet: '', elapsedMs: elapsed() };
  }
  const retryAfter = Number(res.headers.get('retry-after'));
  const base = { networkError: null, retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : null, elapsedMs: elapsed() };
  const snippet = text.slice(0, SNIPPET_CHARS);
  if (res.status === 404) return { ...base, status: ENDPOINT_NOT_SERVED_STATUS, bodySnippet: 'A2A endpoint not served (HTTP 404)' };
  if (!res.ok) return { ...base, status: res.status, bodySnippet: snippet };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ...base, status: 502, bodySnippet: 'A2A answer is not JSON' };
  }
  if (isObj(doc) && isObj(doc['error'])) {
    const code = Number(doc['error']['code']);
    const message = typeof doc['error']['message'] === 'string' ? doc['error']['message'].slice(0, 200) : '';
    return { ...base, status: PERMANENT_CODES.has(code) ? 400 : 503, bodySnippet: `A2A error ${code}: ${message}` };
  }
  const task = isObj(doc) ? remoteTaskOf(doc['result']) : null;
  if (task === null) return { ...base, status: 502, bodySnippet: 'A2A answer has no task or message' };
  return { ...base, status: res.status, bodySnippet: `task ${task.id} ${task.state}`, a2aTask: task };
}

/** The envelope's body and ids, read without the schema (it is our own, already stored). */
function envelopeParts(envelopeText: string): { id: string; body: string; from: string; type: string; conversationId: string | null; correlationId: string | null } | null {
  try {
    const e = JSON.parse(envelopeText) as Json;
    const payload = isObj(e['payload']) ? e['payload'] : {};
    if (typeof e['id'] !== 'string' || typeof payload['body'] !== 'string') return null;
    return {
      id: e['id'], body: payload['body'], from: String(e['from'] ?? ''), type: String(e['type'] ?? ''),
      conversationId: typeof e['conversationId'] === 'string' ? e['conversationId'] : null,
      correlationId: typeof e['correlationId'] === 'string' ? e['correlationId'] : null,
    };
  } catch {
    return null;
  }
}

/** Sends one MESH envelope to an A2A agent as SendMessage (returnImmediately). */
export function sendToA2A(req: OutboundRequest): Promise<TransportResult> {
  const env = envelopeParts(req.body);
  if (env === null) return Promise.resolve({ status: 400, networkError: null, retryAfterMs: null, bodySnippet: 'not an envelope', elapsedMs: 0 });
  const params = {
    message: {
      messageId: env.id, role: 'ROLE_USER', parts: [{ text: env.body }],
      metadata: { mesh: { id: env.id, from: env.from, type: env.type, conversationId: env.conversationId, correlationId: env.correlationId } },
    },
    configuration: { returnImmediately: true, acceptedOutputModes: ['text/plain'] },
  };
  return call(req.url, req.token, 'SendMessage', params, req.timeoutMs);
}

/** GetTask on an A2A agent (following a task a message started). */
export function getA2ATask(url: string, token: string | null, taskId: string, timeoutMs: number): Promise<TransportResult> {
  return call(url, token, 'GetTask', { id: taskId }, timeoutMs);
}

/** Reads an Agent Card: its name and JSON-RPC endpoint (the first JSONRPC interface, or v0.3's `url`). */
export async function readAgentCard(cardUrl: string, timeoutMs: number): Promise<{ name: string; endpoint: string; protocolVersion: string }> {
  const res = await fetch(cardUrl, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  if (!res.ok) throw new Error(`the card answered HTTP ${res.status}`);
  const text = await res.text();
  if (text.length > 256 * 1024) throw new Error('the card is larger than 256 KiB');
  const card = JSON.parse(text) as unknown;
  if (!isObj(card)) throw new Error('the card is not a JSON object');
  const ifaces = Array.isArray(card['supportedInterfaces']) ? card['supportedInterfaces'].filter(isObj) : [];
  const rpc = ifaces.find((i) => i['protocolBinding'] === 'JSONRPC' && typeof i['url'] === 'string');
  const endpoint = typeof rpc?.['url'] === 'string' ? rpc['url'] : typeof card['url'] === 'string' ? card['url'] : null;
  if (endpoint === null) throw new Error('the card lists no JSON-RPC interface');
  return {
    name: typeof card['name'] === 'string' ? card['name'] : '',
    endpoint,
    protocolVersion: typeof rpc?.['protocolVersion'] === 'string' ? rpc['protocolVersion'] : typeof card['protocolVersion'] === 'string' ? card['protocolVersion'] : '',
  };
}

/** Health of an A2A peer: its Agent Card answers (never a JSON-RPC call: that could start work). */
export async function probeA2A(endpoint: string, timeoutMs: number): Promise<TransportResult> {
  const started = performance.now();
  try {
    const res = await fetch(new URL('/.well-known/agent-card.json', endpoint), { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    await res.body?.cancel();
    return { status: res.status, networkError: null, retryAfterMs: null, bodySnippet: '', elapsedMs: Math.round(performance.now() - started) };
  } catch (e) {
    return { status: null, networkError: networkErrorOf(e), retryAfterMs: null, bodySnippet: '', elapsedMs: Math.round(performance.now() - started) };
  }
}
