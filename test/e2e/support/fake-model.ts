// A scripted, deterministic OpenAI-compatible model server for end-to-end tests with real gateways.
//
// OpenClaw talks to it as a custom provider (`api: "openai-completions"`, baseUrl `<url>/v1`):
// `GET /v1/models`, then `POST /v1/chat/completions` (streaming SSE or plain JSON). Each completion
// request is answered by the first rule that returns a reply.
//
// Message layout seen from openclaw@2026.9.6: system, user (the wrapped hook text), then for each
// tool round an assistant `tool_calls` message and its `role:"tool"` result, and ALWAYS a trailing
// user message holding `<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>`. So "this request continues our own
// tool call" means: a tool result comes after the last user message that is not internal context.
// Such requests go to `onToolResult` (default: final text `DONE: <tool output>`), never back to
// `rules`, so a marker rule cannot loop on a conversation that still contains its marker.
//
// Every request is recorded so tests can assert what the model saw (and what it never saw).
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { completionJson, sseChunks } from './fake-model-wire.ts';
import type { ChatMessage, ModelReply } from './fake-model-wire.ts';

export type { ChatMessage, ModelReply } from './fake-model-wire.ts';

/** What a rule sees for one chat-completion request. */
export interface ModelTurn {
  /** The parsed request body (`model`, `messages`, `tools`, `stream`, ...). */
  body: ChatRequestBody;
  messages: ChatMessage[];
  /** Text of the user messages in order, without OpenClaw's internal-context blocks (those are
   *  still in `messages`). The hook text is one of these, not necessarily the last message. */
  userTexts: string[];
  /** Outputs of all `role:"tool"` messages, in order. */
  toolResults: string[];
  /** Output of the latest tool result when it comes after the last (non-internal) user message,
   *  i.e. this request continues a tool call of ours; otherwise undefined (a fresh turn). */
  lastToolResult: string | undefined;
  /** True if any user message contains `s`. */
  userSaid(s: string): boolean;
}

export type FakeModelRule = (turn: ModelTurn) => ModelReply | undefined;

export interface ChatRequestBody {
  model?: string;
  messages?: ChatMessage[];
  stream?: boolean;
  tools?: unknown[];
  [key: string]: unknown;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body for POSTs (undefined for GET or invalid JSON). */
  body: ChatRequestBody | undefined;
  /** What the fake answered, for chat completions. */
  reply: ModelReply | undefined;
}

export interface FakeModelOptions {
  /** Consulted in order for fresh turns (last message is not a tool result). */
  rules?: FakeModelRule[];
  /** Consulted when the last message is a tool result; default `{ text: 'DONE: <output>' }`. */
  onToolResult?: FakeModelRule;
  /** Reply when no rule matched a fresh turn (heartbeats, unexpected runs). */
  fallback?: ModelReply;
  modelId?: string;
  /** Bearer token the gateway must send; requests without it get 401 (and are still recorded). */
  apiKey?: string;
}

export interface FakeModel {
  port: number;
  /** Provider base URL, ending in `/v1`. */
  baseUrl: string;
  apiKey: string;
  modelId: string;
  /** Every HTTP request received, in arrival order. */
  readonly requests: readonly RecordedRequest[];
  /** Only the chat-completion requests. */
  chatRequests(): RecordedRequest[];
  /** True if any message of any chat-completion request contains `s` (system, user, tool, ...).
   *  Counts requests refused for a bad api key too: it answers "did this text reach the model server". */
  sawText(s: string): boolean;
  /** Resolves with the first recorded request (past or future) that satisfies `pred`. */
  waitForRequest(pred: (r: RecordedRequest) => boolean): Promise<RecordedRequest>;
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Text of a message's content, which OpenAI clients send as a string or as typed parts. */
export function messageText(m: ChatMessage): string {
  const c = m.content;
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((p) => (p && typeof p.text === 'string' ? p.text : '')).join('\n');
  return '';
}

/** Rule: when a user message contains `marker`, call `exec` with `command` (or its result). */
export function execWhen(marker: string, command: string | ((turn: ModelTurn) => string)): FakeModelRule {
  return (turn) => (turn.userSaid(marker) ? { exec: typeof command === 'string' ? command : command(turn) } : undefined);
}

/** Rule: when a user message has a line containing `marker`, exec the rest of that line. */
export function execAfterMarker(marker: string): FakeModelRule {
  return (turn) => {
    for (const text of [...turn.userTexts].reverse()) {
      for (const line of text.split('\n')) {
        const at = line.indexOf(marker);
        if (at >= 0) {
          const command = line.slice(at + marker.length).trim();
          if (command) return { exec: command };
        }
      }
    }
    return undefined;
  };
}

/** Rule: when a user message contains `marker`, answer with `text`. */
export function replyWhen(marker: string, text: string): FakeModelRule {
  return (turn) => (turn.userSaid(marker) ? { text } : undefined);
}

/** Start of the user message OpenClaw appends to every request (not something a user said). */
export const INTERNAL_CONTEXT_MARK = '<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>';

const isInternalContext = (m: ChatMessage): boolean => m.role === 'user' && messageText(m).trimStart().startsWith(INTERNAL_CONTEXT_MARK);

export function buildTurn(body: ChatRequestBody): ModelTurn {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const userTexts = messages.filter((m) => m.role === 'user' && !isInternalContext(m)).map(messageText);
  const toolResults = messages.filter((m) => m.role === 'tool').map(messageText);
  const lastUser = messages.findLastIndex((m) => m.role === 'user' && !isInternalContext(m));
  const lastTool = messages.findLastIndex((m) => m.role === 'tool');
  const toolMsg = lastTool > lastUser ? messages[lastTool] : undefined;
  return {
    body,
    messages,
    userTexts,
    toolResults,
    lastToolResult: toolMsg ? messageText(toolMsg) : undefined,
    userSaid: (s) => userTexts.some((t) => t.includes(s)),
  };
}

/** Pure decision, exported so it can be unit-tested without HTTP. */
export function decideReply(turn: ModelTurn, opts: FakeModelOptions): ModelReply {
  if (turn.lastToolResult !== undefined) {
    return opts.onToolResult?.(turn) ?? { text: `DONE: ${turn.lastToolResult.trim()}` };
  }
  for (const rule of opts.rules ?? []) {
    const reply = rule(turn);
    if (reply) return reply;
  }
  return opts.fallback ?? { text: 'NO_REPLY' };
}

export async function startFakeModel(opts: FakeModelOptions = {}): Promise<FakeModel> {
  const modelId = opts.modelId ?? 'scripted';
  const apiKey = opts.apiKey ?? 'fake-local-key';
  const requests: RecordedRequest[] = [];
  const waiters: Array<{ pred: (r: RecordedRequest) => boolean; resolve: (r: RecordedRequest) => void }> = [];
  let completions = 0;

  const record = (r: RecordedRequest): void => {
    requests.push(r);
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i];
      if (w && w.pred(r)) {
        waiters.splice(i, 1);
        w.resolve(r);
      }
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(err) } });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const raw = req.method === 'POST' ? await readBody(req) : '';
    const entry: RecordedRequest = { method: req.method ?? '', path, headers: { ...req.headers }, body: parseBody(raw), reply: undefined };
    const authorised = req.headers.authorization === `Bearer ${apiKey}`;

    if (req.method === 'GET' && (path === '/v1/models' || path === `/v1/models/${modelId}`)) {
      record(entry);
      const model = { id: modelId, object: 'model', created: 0, owned_by: 'mesh-e2e' };
      return sendJson(res, 200, path === '/v1/models' ? { object: 'list', data: [model] } : model);
    }
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      if (!authorised) {
        record(entry);
        return sendJson(res, 401, { error: { message: 'bad api key', type: 'invalid_request_error' } });
      }
      if (!entry.body) {
        record(entry);
        return sendJson(res, 400, { error: { message: 'body must be JSON', type: 'invalid_request_error' } });
      }
      completions += 1;
      entry.reply = decideReply(buildTurn(entry.body), opts);
      record(entry);
      const id = `chatcmpl-fake-${completions}`;
      const callId = `call_fake_${completions}`;
      if (entry.body.stream === true) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
        for (const chunk of sseChunks(entry.reply, { id, callId, model: modelId })) res.write(`data: ${chunk}\n\n`);
        res.end('data: [DONE]\n\n');
        return;
      }
      return sendJson(res, 200, completionJson(entry.reply, { id, callId, model: modelId }));
    }
    record(entry);
    sendJson(res, 404, { error: { message: `no route ${req.method} ${path}` } });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    baseUrl: `http://127.0.0.1:${port}/v1`,
    apiKey,
    modelId,
    requests,
    chatRequests: () => requests.filter((r) => r.path === '/v1/chat/completions' && r.body !== undefined),
    sawText: (s) =>
      requests.some((r) => r.path === '/v1/chat/completions' && (r.body?.messages ?? []).some((m) => messageText(m).includes(s))),
    waitForRequest: (pred) =>
      new Promise((resolve) => {
        const seen = requests.find(pred);
        if (seen) resolve(seen);
        else waiters.push({ pred, resolve });
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(raw: string): ChatRequestBody | undefined {
  if (!raw) return undefined;
  try {
    const v: unknown = JSON.parse(raw);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as ChatRequestBody) : undefined;
  } catch {
    return undefined;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
