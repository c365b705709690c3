// The fake model on its own (no OpenClaw): rule selection on the message layout the gateway sends,
// the SSE and JSON wire shapes, auth, and request recording.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { INTERNAL_CONTEXT_MARK, buildTurn, decideReply, execAfterMarker, execWhen, replyWhen, startFakeModel } from './fake-model.ts';
import type { ChatMessage, FakeModel } from './fake-model.ts';

const internal: ChatMessage = { role: 'user', content: [{ type: 'text', text: `${INTERNAL_CONTEXT_MARK}\nActive exec sessions: none` }] };
const hook = (text: string): ChatMessage => ({ role: 'user', content: `SECURITY NOTICE ...\n---\n${text}\n<<<END>>>` });
const toolRound = (command: string, output: string): ChatMessage[] => [
  { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'exec', arguments: JSON.stringify({ command }) } }] },
  { role: 'tool', tool_call_id: 'c1', content: output },
];

describe('decideReply', () => {
  const rules = [execAfterMarker('RUN:')];

  test('finds the marker in an earlier user message, before the internal-context message', () => {
    const turn = buildTurn({ messages: [{ role: 'system', content: 'sys' }, hook('hello\nRUN: echo hi > /tmp/x'), internal] });
    assert.deepEqual(turn.userTexts.length, 1);
    assert.deepEqual(decideReply(turn, { rules }), { exec: 'echo hi > /tmp/x' });
  });

  test('a tool result followed by the internal-context message is a continuation, not a fresh turn', () => {
    const turn = buildTurn({ messages: [hook('RUN: echo hi'), ...toolRound('echo hi', 'hi\n'), internal] });
    assert.equal(turn.lastToolResult, 'hi\n');
    assert.deepEqual(decideReply(turn, { rules }), { text: 'DONE: hi' });
  });

  test('onToolResult can chain a second command', () => {
    const turn = buildTurn({ messages: [hook('RUN: step1'), ...toolRound('step1', 'one'), internal] });
    const reply = decideReply(turn, { rules, onToolResult: (t) => (t.toolResults.length < 2 ? { exec: 'step2' } : undefined) });
    assert.deepEqual(reply, { exec: 'step2' });
  });

  test('a new user message after old tool rounds (persistent session) is a fresh turn', () => {
    const turn = buildTurn({ messages: [hook('RUN: a'), ...toolRound('a', 'x'), hook('second turn'), internal] });
    assert.equal(turn.lastToolResult, undefined);
    assert.deepEqual(decideReply(turn, { rules: [replyWhen('second turn', 'ok')] }), { text: 'ok' });
  });

  test('string and typed-part content both match; no match gives the fallback', () => {
    const parts: ChatMessage = { role: 'user', content: [{ type: 'text', text: 'say MARK please' }] };
    assert.deepEqual(decideReply(buildTurn({ messages: [parts] }), { rules: [execWhen('MARK', 'true')] }), { exec: 'true' });
    assert.deepEqual(decideReply(buildTurn({ messages: [hook('nothing')] }), { rules }), { text: 'NO_REPLY' });
    assert.deepEqual(decideReply(buildTurn({ messages: [hook('nothing')] }), { rules, fallback: { text: 'HEARTBEAT_OK' } }), { text: 'HEARTBEAT_OK' });
  });
});

describe('fake model over HTTP', () => {
  let model: FakeModel;
  before(async () => {
    model = await startFakeModel({ rules: [execAfterMarker('RUN:')] });
  });
  after(() => model.stop());

  const post = (body: unknown, key = model.apiKey): Promise<Response> =>
    fetch(`${model.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });

  test('lists its model on 127.0.0.1', async () => {
    assert.match(model.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const res = await fetch(`${model.baseUrl}/models`);
    assert.deepEqual(((await res.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id), ['scripted']);
  });

  test('streams a tool call as SSE chunks ending in [DONE]', async () => {
    const res = await post({ model: 'scripted', stream: true, messages: [hook('RUN: echo sse'), internal] });
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const events = (await res.text()).split('\n\n').filter(Boolean).map((e) => e.replace(/^data: /, ''));
    assert.equal(events.at(-1), '[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as { choices: Array<{ delta: { tool_calls?: Array<{ id?: string; function: { name?: string; arguments: string } }> }; finish_reason: string | null }>; usage?: unknown });
    const calls = chunks.flatMap((c) => c.choices.flatMap((ch) => ch.delta.tool_calls ?? []));
    assert.equal(calls[0]?.function.name, 'exec');
    assert.deepEqual(JSON.parse(calls.map((c) => c.function.arguments).join('')), { command: 'echo sse' });
    assert.ok(chunks.some((c) => c.choices[0]?.finish_reason === 'tool_calls'));
    assert.ok(chunks.at(-1)?.usage, 'last chunk carries usage');
  });

  test('answers non-streaming requests with a chat.completion body', async () => {
    const res = await post({ model: 'scripted', messages: [hook('RUN: echo a'), ...toolRound('echo a', 'a'), internal] });
    const body = (await res.json()) as { object: string; choices: Array<{ message: { content: string }; finish_reason: string }> };
    assert.equal(body.object, 'chat.completion');
    assert.equal(body.choices[0]?.message.content, 'DONE: a');
    assert.equal(body.choices[0]?.finish_reason, 'stop');
  });

  test('refuses a wrong api key but records the attempt, which sawText still counts', async () => {
    const res = await post({ messages: [hook('RUN: echo secret-x')] }, 'wrong');
    assert.equal(res.status, 401);
    assert.equal(model.requests.at(-1)?.reply, undefined);
    assert.equal(model.sawText('secret-x'), true, 'recorded bodies are searchable, even refused ones');
    assert.equal(model.sawText('never-sent-text'), false);
  });

  test('waitForRequest resolves for past and future requests', async () => {
    const past = await model.waitForRequest((r) => r.path === '/v1/models');
    assert.equal(past.method, 'GET');
    const future = model.waitForRequest((r) => JSON.stringify(r.body ?? {}).includes('later-1'));
    await post({ messages: [hook('later-1')] });
    assert.deepEqual((await future).reply, { text: 'NO_REPLY' });
  });
});
