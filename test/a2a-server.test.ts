/**
 * MESH as an A2A 1.0 server, driven by the @a2a-js/sdk client against real `mesh serve` daemons:
 * the Agent Card, SendMessage (blocking and returnImmediately), GetTask, ListTasks, CancelTask (of a
 * task the agent has not got, and refused for one it has), SendStreamingMessage, SubscribeToTask
 * resumed from Last-Event-ID, a restart of the daemon mid-task, a duplicate messageId, and hostile
 * requests (no or wrong token, malformed, oversized, forged task ids, unsupported parts).
 * The agent answers with the real `mesh reply` CLI (inbox node) or a handler command (handler node).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ClientFactory, ClientFactoryOptions, JsonRpcTransportFactory, type Client } from '@a2a-js/sdk/client';
import { SendMessageRequest, TaskState, type StreamResponse, type Task } from '@a2a-js/sdk';
import { MeshCluster, waitFor, type InboxView } from './support/mesh-cluster.ts';
import { BACKGROUND_WORK_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS } from './support/timeouts.ts';

const TOKEN = 'a2a-client-token-0123456789abcdef';
const OTHER_TOKEN = 'a2a-other-token-fedcba9876543210';
let cluster: MeshCluster;

const a2aConfig = {
  a2a: {
    enabled: true, name: 'Beta via MESH', pollIntervalMs: 50, streamHeartbeatMs: 500, blockingTimeoutMs: 60_000, maxTextBytes: 4096,
    skills: [{ id: 'triage', name: 'Triage', description: 'Looks at an incident', tags: ['ops'] }],
  },
};

before(async () => {
  cluster = await MeshCluster.create({ agents: ['beta', 'gamma'], config: a2aConfig });
  for (const n of ['beta', 'gamma']) {
    cluster.node(n).updateRegistry((reg) => {
      reg['a2aClients'] = { sdkclient: { token: TOKEN }, other: { token: OTHER_TOKEN } };
    });
  }
  await cluster.node('beta').serve();
  // gamma's agent is a handler that takes its time: its tasks reach the agent and stay there a while.
  await cluster.node('gamma').serve({ handler: cluster.script('slow.sh', '#!/bin/sh\nsleep 3\necho "handled: $MESH_ID"\n') });
});
after(async () => {
  await cluster?.close();
});

function authFetch(token: string): typeof fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${token}`);
    return fetch(input, { ...init, headers });
  };
}

async function client(node = 'beta', token = TOKEN): Promise<Client> {
  const factory = new ClientFactory(ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
    transports: [new JsonRpcTransportFactory({ fetchImpl: authFetch(token) })],
  }));
  return factory.createFromUrl(cluster.node(node).url);
}

let seq = 0;
function message(text: string, over: Record<string, unknown> = {}, config: Record<string, unknown> = {}): SendMessageRequest {
  seq++;
  return SendMessageRequest.fromJSON({
    message: { messageId: `m-${process.pid}-${seq}`, role: 'ROLE_USER', parts: [{ text }], ...over },
    configuration: config,
  });
}

const asTask = (r: unknown): Task => {
  assert.ok(r !== null && typeof r === 'object' && 'status' in r, 'a task');
  return r as Task;
};
const artifactText = (t: Task): string | undefined => {
  const c = t.artifacts[0]?.parts[0]?.content;
  return c?.$case === 'text' ? c.value : undefined;
};

async function requestIdOf(node: string, taskId: string): Promise<string> {
  const rows = cluster.node(node).query<{ inbox_id: string }>('SELECT inbox_id FROM a2a_tasks WHERE id = ?', taskId);
  assert.equal(rows.length, 1);
  return (rows[0] as { inbox_id: string }).inbox_id;
}

async function reply(node: string, taskId: string, text: string): Promise<void> {
  const r = await cluster.node(node).mesh(['reply', await requestIdOf(node, taskId), text]);
  assert.equal(r.code, 0, r.stderr);
}

async function rpc(method: string, params: unknown, o: { token?: string | null; body?: string; headers?: Record<string, string>; node?: string } = {}): Promise<{ status: number; body: string; json: Record<string, unknown> | null }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...o.headers };
  if (o.token !== null) headers['authorization'] = `Bearer ${o.token ?? TOKEN}`;
  const res = await fetch(`${cluster.node(o.node ?? 'beta').url}/a2a/v1`, {
    method: 'POST', headers, body: o.body ?? JSON.stringify({ jsonrpc: '2.0', id: 7, method, params }), signal: AbortSignal.timeout(HTTP_REQUEST_TIMEOUT_MS),
  });
  const body = await res.text();
  let json: Record<string, unknown> | null;
  try {
    json = JSON.parse(body) as Record<string, unknown>;
  } catch {
    json = null;
  }
  return { status: res.status, body, json };
}
const errorCode = (r: { json: Record<string, unknown> | null }): number | undefined => (r.json?.['error'] as { code?: number } | undefined)?.code;

test('the Agent Card names the JSON-RPC interface, streaming, bearer auth and the configured skills', async () => {
  const res = await fetch(`${cluster.node('beta').url}/.well-known/agent-card.json`);
  assert.equal(res.status, 200);
  const card = await res.json() as Record<string, unknown>;
  assert.equal(card['name'], 'Beta via MESH');
  assert.deepEqual(card['supportedInterfaces'], [{ url: `${cluster.node('beta').url}/a2a/v1`, protocolBinding: 'JSONRPC', protocolVersion: '1.0' }]);
  assert.deepEqual(card['capabilities'], { streaming: true, pushNotifications: false });
  assert.deepEqual(card['securityRequirements'], [{ schemes: { bearer: { list: [] } } }]);
  assert.equal((card['skills'] as { id: string }[])[0]?.id, 'triage');
  assert.ok(!JSON.stringify(card).includes(TOKEN));
  const c = await client();
  assert.equal((await c.getAgentCard()).name, 'Beta via MESH');
});

test('SendMessage returnImmediately, GetTask, then the agent`s mesh reply completes the task with an artifact', async () => {
  const c = await client();
  const t = asTask(await c.sendMessage(message('what is the disk usage on db1?', {}, { returnImmediately: true })));
  assert.equal(t.status?.state, TaskState.TASK_STATE_SUBMITTED);
  assert.ok(t.contextId !== '');
  const inbox = await cluster.node('beta').inbox();
  const req = inbox.find((m: InboxView) => m.body === 'what is the disk usage on db1?');
  assert.equal(req?.from, 'sdkclient');
  assert.equal(req?.type, 'request');
  assert.equal(req?.auth, 'a2a-bearer');

  await reply('beta', t.id, 'db1 is at 71%');
  const done = await c.getTask({ tenant: '', id: t.id, historyLength: undefined });
  assert.equal(done.status?.state, TaskState.TASK_STATE_COMPLETED);
  assert.equal(artifactText(done), 'db1 is at 71%');
  const h = done.history[0]?.parts[0]?.content;
  assert.equal(h?.$case === 'text' ? h.value : null, 'what is the disk usage on db1?');
  // Answered once: a second reply is refused, not sent anywhere.
  const again = await cluster.node('beta').mesh(['reply', await requestIdOf('beta', t.id), 'second answer']);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /already TASK_STATE_COMPLETED/);
  assert.equal(cluster.node('beta').outboxPending(), 0);
});

test('a blocking SendMessage returns when the agent replies', async () => {
  const c = await client();
  const pending = c.sendMessage(message('blocking question'));
  const req = await waitFor('the request in the inbox', BACKGROUND_WORK_TIMEOUT_MS, async () => (await cluster.node('beta').inbox()).find((m) => m.body === 'blocking question'));
  const task = cluster.node('beta').query<{ id: string }>('SELECT id FROM a2a_tasks WHERE inbox_id = ?', req.id)[0] as { id: string };
  await reply('beta', task.id, 'blocking answer');
  const t = asTask(await pending);
  assert.equal(t.id, task.id);
  assert.equal(t.status?.state, TaskState.TASK_STATE_COMPLETED);
  assert.equal(artifactText(t), 'blocking answer');
});

test('a duplicate messageId is the same task and reaches the agent once; reusing it for another text is refused', async () => {
  const c = await client();
  const first = message('only once please', {}, { returnImmediately: true });
  const a = asTask(await c.sendMessage(first));
  const b = asTask(await c.sendMessage(first));
  assert.equal(b.id, a.id);
  assert.equal(cluster.node('beta').count("SELECT COUNT(*) AS n FROM inbox WHERE body = 'only once please'"), 1);
  const forged = SendMessageRequest.fromJSON({ message: { messageId: first.message?.messageId, role: 'ROLE_USER', parts: [{ text: 'something else' }] } });
  await assert.rejects(c.sendMessage(forged), /already used for a different message/);
  // The same messageId from another client is that client's own task.
  const other = asTask(await (await client('beta', OTHER_TOKEN)).sendMessage(first));
  assert.notEqual(other.id, a.id);
});

test('CancelTask cancels a task the agent has not got, and the late reply is refused', async () => {
  const c = await client();
  const t = asTask(await c.sendMessage(message('cancel me', {}, { returnImmediately: true })));
  const canceled = await c.cancelTask({ tenant: '', id: t.id, metadata: undefined });
  assert.equal(canceled.status?.state, TaskState.TASK_STATE_CANCELED);
  const r = await cluster.node('beta').mesh(['reply', await requestIdOf('beta', t.id), 'too late']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /already TASK_STATE_CANCELED/);
  await assert.rejects(c.cancelTask({ tenant: '', id: t.id, metadata: undefined }), /already TASK_STATE_CANCELED/);
});

test('CancelTask is refused once the agent has the task (handler running); the handler`s answer completes it', async () => {
  const c = await client('gamma');
  const t = asTask(await c.sendMessage(message('slow work', {}, { returnImmediately: true })));
  await waitFor('the handler to take the request', BACKGROUND_WORK_TIMEOUT_MS, () =>
    cluster.node('gamma').count("SELECT COUNT(*) AS n FROM inbox WHERE body = 'slow work' AND lease_until > 0") > 0 || undefined);
  await assert.rejects(c.cancelTask({ tenant: '', id: t.id, metadata: undefined }), /cannot be taken back/);
  const done = await waitFor('the task to complete', BACKGROUND_WORK_TIMEOUT_MS, async () => {
    const g = await c.getTask({ tenant: '', id: t.id, historyLength: undefined });
    return g.status?.state === TaskState.TASK_STATE_COMPLETED ? g : undefined;
  }, 200);
  assert.equal(artifactText(done), `handled: ${await requestIdOf('gamma', t.id)}`);
});

test('ListTasks pages through the client`s own tasks, filters by state and context, never shows others`', async () => {
  const c = await client();
  const ctx = `ctx-list-${process.pid}`;
  for (let i = 0; i < 3; i++) await c.sendMessage(message(`listed ${i}`, { contextId: ctx }, { returnImmediately: true }));
  const page1 = await c.listTasks({ tenant: '', contextId: ctx, status: TaskState.TASK_STATE_UNSPECIFIED, pageSize: 2, pageToken: '', historyLength: undefined, statusTimestampAfter: undefined, includeArtifacts: undefined });
  assert.equal(page1.tasks.length, 2);
  assert.equal(page1.totalSize, 3);
  assert.ok(page1.nextPageToken !== '');
  const page2 = await c.listTasks({ tenant: '', contextId: ctx, status: TaskState.TASK_STATE_UNSPECIFIED, pageSize: 2, pageToken: page1.nextPageToken, historyLength: undefined, statusTimestampAfter: undefined, includeArtifacts: undefined });
  assert.equal(page2.tasks.length, 1);
  assert.equal(page2.nextPageToken, '');
  const ids = new Set([...page1.tasks, ...page2.tasks].map((t) => t.id));
  assert.equal(ids.size, 3);
  const completed = await c.listTasks({ tenant: '', contextId: '', status: TaskState.TASK_STATE_COMPLETED, pageSize: 100, pageToken: '', historyLength: undefined, statusTimestampAfter: undefined, includeArtifacts: true });
  assert.ok(completed.tasks.length >= 2 && completed.tasks.every((t) => t.status?.state === TaskState.TASK_STATE_COMPLETED));
  const others = await (await client('beta', OTHER_TOKEN)).listTasks({ tenant: '', contextId: ctx, status: TaskState.TASK_STATE_UNSPECIFIED, pageSize: 10, pageToken: '', historyLength: undefined, statusTimestampAfter: undefined, includeArtifacts: undefined });
  assert.equal(others.tasks.length, 0);
  const foreign = [...ids][0] as string;
  await assert.rejects((await client('beta', OTHER_TOKEN)).getTask({ tenant: '', id: foreign, historyLength: undefined }), /task not found/);
});

test('SendStreamingMessage streams the task, the artifact and the final status, then ends', async () => {
  const c = await client();
  const events: StreamResponse[] = [];
  const done = (async () => {
    for await (const e of c.sendMessageStream(message('stream me'))) events.push(e);
  })();
  const req = await waitFor('the request', BACKGROUND_WORK_TIMEOUT_MS, async () => (await cluster.node('beta').inbox()).find((m) => m.body === 'stream me'));
  await waitFor('the first event', BACKGROUND_WORK_TIMEOUT_MS, () => events.length > 0 || undefined);
  const taskId = (cluster.node('beta').query<{ id: string }>('SELECT id FROM a2a_tasks WHERE inbox_id = ?', req.id)[0] as { id: string }).id;
  await reply('beta', taskId, 'streamed answer');
  await done;
  const kinds = events.map((e) => e.payload?.$case);
  assert.deepEqual(kinds, ['task', 'artifactUpdate', 'statusUpdate']);
  const art = events[1]?.payload;
  assert.equal(art?.$case === 'artifactUpdate' ? art.value.artifact?.parts[0]?.content?.value : null, 'streamed answer');
  const last = events[2]?.payload;
  assert.equal(last?.$case === 'statusUpdate' ? last.value.status?.state : null, TaskState.TASK_STATE_COMPLETED);
});

/** Reads one SSE stream with fetch until `stopAfter` events, returning their ids and data. */
async function readSse(res: Response, stopAfter: number): Promise<{ id: number; data: Record<string, unknown> }[]> {
  const out: { id: number; data: Record<string, unknown> }[] = [];
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const dec = new TextDecoder();
  let buf = '';
  while (out.length < stopAfter) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const id = /^id: (\d+)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (id !== undefined && data !== undefined) out.push({ id: Number(id), data: JSON.parse(data) as Record<string, unknown> });
    }
  }
  await reader.cancel();
  return out;
}

test('SubscribeToTask resumes from Last-Event-ID across a daemon restart: every event after it, once', async () => {
  const c = await client();
  const t = asTask(await c.sendMessage(message('survive a restart', {}, { returnImmediately: true })));
  const res = await fetch(`${cluster.node('beta').url}/a2a/v1`, {
    method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'SubscribeToTask', params: { id: t.id } }),
  });
  const [snapshot] = await readSse(res, 1);
  assert.ok(snapshot !== undefined);
  assert.equal(((snapshot.data['result'] as { task: { id: string } }).task).id, t.id);

  // The daemon goes down with the task open; the agent answers while it is down; it comes back.
  await cluster.node('beta').daemon?.stop();
  await reply('beta', t.id, 'answered while the daemon was down');
  await cluster.node('beta').serve();

  const resumed: StreamResponse[] = [];
  for await (const e of c.resubscribeTask({ tenant: '', id: t.id }, { serviceParameters: { 'Last-Event-ID': String(snapshot.id) } })) resumed.push(e);
  assert.deepEqual(resumed.map((e) => e.payload?.$case), ['artifactUpdate', 'statusUpdate']);
  const got = await c.getTask({ tenant: '', id: t.id, historyLength: undefined });
  assert.equal(got.status?.state, TaskState.TASK_STATE_COMPLETED);
  assert.equal(artifactText(got), 'answered while the daemon was down');
  // Resuming from the start replays the whole history; a finished task without a cursor is refused.
  const all: StreamResponse[] = [];
  for await (const e of c.resubscribeTask({ tenant: '', id: t.id }, { serviceParameters: { 'Last-Event-ID': '0' } })) all.push(e);
  assert.deepEqual(all.map((e) => e.payload?.$case), ['statusUpdate', 'artifactUpdate', 'statusUpdate']);
  await assert.rejects(async () => {
    for await (const _ of c.resubscribeTask({ tenant: '', id: t.id })) void _;
  }, /already TASK_STATE_COMPLETED/);
});

test('hostile requests: no or wrong token, malformed, batch, oversized, bad params, forged ids, unsupported parts', async () => {
  const noToken = await rpc('GetTask', { id: 'task-x' }, { token: null });
  assert.equal(noToken.status, 401);
  const wrong = await rpc('GetTask', { id: 'task-x' }, { token: 'the-wrong-token-0000000000' });
  assert.equal(wrong.status, 401);
  assert.ok(!wrong.body.includes('the-wrong-token') && !wrong.body.includes(TOKEN));
  // The hook token is not an A2A client token.
  assert.equal((await rpc('GetTask', { id: 'task-x' }, { token: cluster.node('beta').token })).status, 401);

  assert.equal(errorCode(await rpc('', null, { body: '{"jsonrpc":"2.0",' })), -32700);
  assert.equal(errorCode(await rpc('', null, { body: '[{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"x"}}]' })), -32600);
  assert.equal(errorCode(await rpc('', null, { body: '{"jsonrpc":"1.0","id":1,"method":"GetTask"}' })), -32600);
  assert.equal(errorCode(await rpc('tasks/delete', {})), -32601);
  assert.equal(errorCode(await rpc('CreateTaskPushNotificationConfig', {})), -32003);
  const big = await rpc('', null, { body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message: { messageId: 'big', role: 'ROLE_USER', parts: [{ text: 'x'.repeat(400_000) }] } } }) });
  assert.equal(big.status, 413);
  const tooLong = await rpc('SendMessage', { message: { messageId: 'long-1', role: 'ROLE_USER', parts: [{ text: 'y'.repeat(5000) }] } });
  assert.equal(errorCode(tooLong), -32602);
  assert.ok(!tooLong.body.includes('yyyy'), 'the error does not echo the input');
  assert.equal(errorCode(await rpc('SendMessage', { message: { messageId: 'has spaces', role: 'ROLE_USER', parts: [{ text: 'x' }] } })), -32602);
  assert.equal(errorCode(await rpc('SendMessage', { message: { messageId: 'no-parts', role: 'ROLE_USER', parts: [] } })), -32602);
  assert.equal(errorCode(await rpc('SendMessage', { message: { messageId: 'agent-role', role: 'ROLE_AGENT', parts: [{ text: 'x' }] } })), -32602);
  assert.equal(errorCode(await rpc('SendMessage', { message: { messageId: 'url-part', role: 'ROLE_USER', parts: [{ url: 'file:///etc/passwd' }] } })), -32005);
  assert.equal(errorCode(await rpc('GetTask', { id: '../../etc/passwd' })), -32602);
  assert.equal(errorCode(await rpc('GetTask', { id: 'task-0000' })), -32001);
  assert.equal(errorCode(await rpc('SendMessage', { message: { messageId: 'follow-up', role: 'ROLE_USER', taskId: 'task-0000', parts: [{ text: 'x' }] } })), -32001);
  assert.equal(errorCode(await rpc('ListTasks', { pageToken: 'bm90IG91cnM' })), -32602);
  assert.equal(errorCode(await rpc('SubscribeToTask', { id: 'task-0000' }, { headers: { 'last-event-id': 'abc' } })), -32602);
  assert.equal(errorCode(await rpc('GetTask', { id: 'x' }, { headers: { 'a2a-version': '0.3' } })), -32009);
  // None of it reached the agent, and no token reached the daemon's log.
  assert.equal(cluster.node('beta').count("SELECT COUNT(*) AS n FROM inbox WHERE body LIKE 'yyy%' OR body = 'x'"), 0);
  const log = `${cluster.node('beta').daemon?.stdout ?? ''}${cluster.node('beta').daemon?.stderr ?? ''}`;
  assert.ok(!log.includes(TOKEN) && !log.includes('the-wrong-token'));
});

test('with a2a off, the card and the endpoint are not there', async () => {
  cluster.node('gamma').updateConfig({ a2a: { enabled: false } });
  await waitFor('the config change to apply', BACKGROUND_WORK_TIMEOUT_MS, async () =>
    (await fetch(`${cluster.node('gamma').url}/.well-known/agent-card.json`)).status === 404 || undefined, 200);
  assert.equal((await rpc('GetTask', { id: 'x' }, { node: 'gamma' })).status, 404);
});
