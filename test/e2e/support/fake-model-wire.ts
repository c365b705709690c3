// OpenAI chat-completions wire shapes produced by the fake model: SSE chunks and plain JSON.
// The chunk sequence is the one measured against openclaw@2026.9.6 (reference/openclaw-hooks.md,
// "Fake LLM"): role+tool-call header, arguments, finish reason, usage chunk, then `[DONE]`.

/** One OpenAI chat message as the gateway sends it. */
export interface ChatMessage {
  role: string;
  content?: string | Array<{ type?: string; text?: string }> | null;
  tool_calls?: unknown[];
  tool_call_id?: string;
  name?: string;
}

/**
 * What the fake answers with:
 * - `{ exec }`: a call of OpenClaw's `exec` tool with that shell command;
 * - `{ tool, arguments }`: any other tool call (or `exec` with extra parameters);
 * - `{ text }`: a final assistant text.
 */
export type ModelReply =
  | { exec: string }
  | { tool: string; arguments: Record<string, unknown> }
  | { text: string };

export interface WireIds {
  /** Completion id, e.g. `chatcmpl-fake-3`. */
  id: string;
  /** Tool call id, e.g. `call_fake_3`. */
  callId: string;
  model: string;
}

/** Fixed so that output is deterministic; OpenAI clients do not check it. */
const CREATED = 1_700_000_000;
const USAGE = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };

function toolCallOf(reply: ModelReply): { name: string; args: string } | undefined {
  if ('exec' in reply) return { name: 'exec', args: JSON.stringify({ command: reply.exec }) };
  if ('tool' in reply) return { name: reply.tool, args: JSON.stringify(reply.arguments) };
  return undefined;
}

/** JSON strings to send as `data: <chunk>` SSE events, before the final `data: [DONE]`. */
export function sseChunks(reply: ModelReply, ids: WireIds): string[] {
  const base = { id: ids.id, object: 'chat.completion.chunk', created: CREATED, model: ids.model };
  const chunk = (delta: Record<string, unknown>, finish: string | null): string =>
    JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] });
  const call = toolCallOf(reply);
  const out: string[] = [];
  if (call) {
    out.push(chunk({
      role: 'assistant',
      content: null,
      tool_calls: [{ index: 0, id: ids.callId, type: 'function', function: { name: call.name, arguments: '' } }],
    }, null));
    out.push(chunk({ tool_calls: [{ index: 0, function: { arguments: call.args } }] }, null));
    out.push(chunk({}, 'tool_calls'));
  } else {
    out.push(chunk({ role: 'assistant', content: '' }, null));
    out.push(chunk({ content: 'text' in reply ? reply.text : '' }, null));
    out.push(chunk({}, 'stop'));
  }
  out.push(JSON.stringify({ ...base, choices: [], usage: USAGE }));
  return out;
}

/** A non-streaming `chat.completion` response body. */
export function completionJson(reply: ModelReply, ids: WireIds): Record<string, unknown> {
  const call = toolCallOf(reply);
  const message = call
    ? { role: 'assistant', content: null, tool_calls: [{ id: ids.callId, type: 'function', function: { name: call.name, arguments: call.args } }] }
    : { role: 'assistant', content: 'text' in reply ? reply.text : '' };
  return {
    id: ids.id,
    object: 'chat.completion',
    created: CREATED,
    model: ids.model,
    choices: [{ index: 0, message, finish_reason: call ? 'tool_calls' : 'stop' }],
    usage: USAGE,
  };
}
