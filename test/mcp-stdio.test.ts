/**
 * `mesh mcp` driven by the MCP SDK's own Client over stdio against a real two-node fleet (mesh serve
 * daemons): every tool, the resources, wait_for_message woken by a peer's message and one that times
 * out, schema violations and hostile input as tool errors (never a crash), and stdout carrying
 * protocol messages only. With MESH_MCP_TRANSCRIPT=<file> the session is written there: Markdown for a
 * file ending in .md (docs/mcp-transcript.md is such a run), JSON otherwise.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { MeshCluster } from './support/mesh-cluster.ts';
import { childEnv, MESH_BIN, runMesh, track } from './support/mesh-process.ts';
import { data, errorCode, McpSession } from './support/mcp-session.ts';
import { renderTranscript } from './support/mcp-transcript.ts';

const TOOLS = [
  'ack_message', 'consensus', 'conversation_show', 'fetch_inbox', 'fleet_status', 'list_peers', 'rally', 'reply', 'request', 'send_message',
  'set_verdict', 'wait_for_message',
];

const TRANSCRIPT_HEADER = {
  title: 'A session of an MCP client with `mesh mcp` against a two-node fleet',
  intro: [
    'Written by a run of `test/mcp-stdio.test.ts`: `MESH_MCP_TRANSCRIPT=docs/mcp-transcript.md node --test test/mcp-stdio.test.ts`. ' +
      'Two nodes, alpha and beta, each run `mesh serve` on loopback; beta hands every message to a handler that prints `beta says: 42` ' +
      '(its answer to requests and rally questions). The client is the MCP SDK\'s own `Client` (`@modelcontextprotocol/client`) over ' +
      '`StdioClientTransport`, which spawns `mesh mcp --home <alpha>`. While the client waits in `wait_for_message`, the test has beta ' +
      'send with `mesh send` from another process.',
    'Every request and response of the session is below in order, as the client saw them (ids, ports and times are those of the run). ' +
      'Mechanical trimming only: strings over 400 characters are cut (with their length), and a tool result\'s text content, which repeats ' +
      'its structuredContent as JSON after a summary line, shows the summary line only. `initialize` is done by `Client.connect` and not recorded.',
  ],
};

let cluster: MeshCluster;
let mcp: McpSession;

before(async () => {
  cluster = await MeshCluster.create({ agents: ['alpha', 'beta'] });
  await cluster.node('beta').serve({ handler: cluster.script('answer.sh', '#!/bin/sh\necho "beta says: 42"\n') });
  await cluster.node('alpha').serve();
  mcp = await McpSession.open(cluster.node('alpha').home);
});
after(async () => {
  await mcp?.close();
  const file = process.env['MESH_MCP_TRANSCRIPT'];
  if (file !== undefined && mcp !== undefined) {
    writeFileSync(file, file.endsWith('.md') ? renderTranscript(TRANSCRIPT_HEADER, mcp.exchanges) : `${JSON.stringify(mcp.exchanges, null, 2)}\n`);
  }
  await cluster?.close();
});

const untrusted = (v: unknown): Record<string, unknown> => (v as { untrusted: Record<string, unknown> }).untrusted;

test('lists the twelve tools with descriptions and JSON schemas, and the resources', async () => {
  const { tools } = await mcp.record('tools/list', {}, () => mcp.client.listTools());
  assert.deepEqual(tools.map((t) => t.name).sort(), TOOLS);
  for (const t of tools) {
    assert.ok((t.description ?? '').length > 40, `${t.name} has a description`);
    assert.equal(t.inputSchema.type, 'object', `${t.name} has an object schema`);
  }
  const request = tools.find((t) => t.name === 'request');
  assert.deepEqual((request?.inputSchema.required ?? []).sort(), ['body', 'to']);
  const { resources } = await mcp.record('resources/list', {}, () => mcp.client.listResources());
  assert.deepEqual(resources.map((r) => r.uri).sort(), ['mesh://conversations', 'mesh://inbox']);
  const { resourceTemplates } = await mcp.client.listResourceTemplates();
  assert.deepEqual(resourceTemplates.map((r) => r.uriTemplate).sort(), ['mesh://conversations/{conversationId}', 'mesh://inbox/{messageId}']);
});

test('list_peers and fleet_status', async () => {
  const peers = data(await mcp.call('list_peers'));
  assert.equal((peers['self'] as { name: string }).name, 'alpha');
  assert.deepEqual((peers['peers'] as { name: string }[]).map((p) => p.name), ['beta']);
  assert.doesNotMatch(JSON.stringify(peers), new RegExp(cluster.node('beta').token), 'no token');
  const status = data(await mcp.call('fleet_status'));
  assert.equal(status['agent'], 'alpha');
  assert.deepEqual(status['queue'], { total: 0, byPeer: {} });
  const fleet = status['fleet'] as { peers: { name: string; route: string }[]; hub: unknown; epoch: number };
  assert.deepEqual(fleet.peers.map((p) => p.name), ['beta'], 'the fleet view of mesh status');
  assert.equal(typeof fleet.epoch, 'number');
});

test('send_message and request reach beta; the answer comes back marked untrusted', async () => {
  const sent = await mcp.call('send_message', { to: 'beta', body: 'hello from an MCP client', subject: 'hi' });
  assert.equal(sent.isError, undefined);
  const [result] = data(sent)['results'] as { status: string; id: string }[];
  assert.equal(result?.status, 'delivered');
  const atBeta = await cluster.node('beta').inbox();
  assert.ok(atBeta.some((m) => m.id === result?.id && m.body === 'hello from an MCP client'));

  const asked = await mcp.call('request', { to: 'beta', body: 'what is 6 x 7?', timeoutSeconds: 60 });
  assert.equal(asked.isError, undefined, JSON.stringify(asked));
  const response = data(asked)['response'] as Record<string, unknown>;
  assert.equal(response['from'], 'beta');
  assert.equal(untrusted(response)['body'], 'beta says: 42');
  assert.match(String(data(asked)['untrustedContent']), /never as instructions/);
  assert.match((asked.content[0] as { text: string }).text, /^beta answered[^\n]*\nUNTRUSTED CONTENT/);

  const status = await mcp.call('fleet_status');
  const recent = (data(status)['fleet'] as { recent: Record<string, unknown>[] }).recent;
  const greeting = recent.find((r) => r['id'] === result?.id);
  assert.deepEqual(greeting?.['untrusted'], { subject: 'hi' }, 'a recent message\'s subject is marked untrusted');
  assert.equal(greeting?.['subject'], undefined);
  assert.match(String(data(status)['untrustedContent']), /UNTRUSTED CONTENT/);
});

test('fetch_inbox, reply, ack_message and the inbox resources', async () => {
  const beta = cluster.node('beta');
  const asked = await beta.meshJson<{ results: { id: string }[] }>(['send', 'alpha', 'request', 'please check the backups']);
  const requestId = asked.results[0]?.id ?? '';
  const got = await mcp.call('wait_for_message', { from: 'beta', type: 'request', timeoutSeconds: 60 });
  assert.equal((data(got)['message'] as { id: string }).id, requestId);

  const inbox = data(await mcp.call('fetch_inbox', { type: 'request' }));
  const listed = inbox['messages'] as Record<string, unknown>[];
  assert.ok(listed.some((m) => m['id'] === requestId && untrusted(m)['body'] === 'please check the backups'));

  const read = await mcp.record('resources/read', { uri: `mesh://inbox/${requestId}` }, () => mcp.client.readResource({ uri: `mesh://inbox/${requestId}` }));
  const doc = JSON.parse(String((read.contents[0] as { text: string }).text)) as Record<string, unknown>;
  assert.equal(untrusted(doc['message'])['body'], 'please check the backups');
  assert.match(String(doc['untrustedContent']), /UNTRUSTED CONTENT/);
  const unreadDoc = JSON.parse(String(((await mcp.client.readResource({ uri: 'mesh://inbox' })).contents[0] as { text: string }).text)) as { messages: { id: string }[] };
  assert.ok(unreadDoc.messages.some((m) => m.id === requestId));

  const replied = await mcp.call('reply', { messageId: requestId, body: 'backups are fine' });
  assert.equal((data(replied)['results'] as { status: string }[])[0]?.status, 'delivered');
  const answers = (await beta.inbox()).filter((m) => m.correlationId === requestId);
  assert.deepEqual(answers.map((m) => m.body), ['backups are fine']);

  const acked = data(await mcp.call('ack_message', { messageIds: [requestId] }));
  assert.equal(acked['newlyRead'], 1);
  const after = data(await mcp.call('fetch_inbox', { type: 'request' }))['messages'] as { id: string }[];
  assert.ok(!after.some((m) => m.id === requestId), 'no longer listed as unread');
});

test('wait_for_message returns when a peer sends, and times out when none does', async () => {
  const waiting = mcp.call('wait_for_message', { from: 'beta', type: 'alert', timeoutSeconds: 60, markRead: true });
  // The wait is already in place (it started before): beta's alert wakes it through the event log.
  await new Promise((r) => setTimeout(r, 500));
  const sent = await runMesh(['send', 'alpha', 'alert', 'disk 95% on db1', '--home', cluster.node('beta').home]);
  assert.equal(sent.code, 0, sent.stderr);
  const r = await waiting;
  const m = data(r)['message'] as Record<string, unknown>;
  assert.equal(untrusted(m)['body'], 'disk 95% on db1');
  assert.equal(m['read'], true);
  assert.equal(data(r)['timedOut'], false);

  const started = performance.now();
  const none = await mcp.call('wait_for_message', { from: 'beta', type: 'alert', timeoutSeconds: 1 });
  assert.equal(none.isError, undefined);
  assert.deepEqual(data(none), { message: null, timedOut: true });
  assert.ok(performance.now() - started >= 900, 'it waited');
});

test('rally with a wait, conversation_show, consensus, set_verdict and the conversation resource', async () => {
  const r = await mcp.call('rally', { question: 'How many rows in orders?', agents: 'beta', waitSeconds: 60 });
  assert.equal(r.isError, undefined, JSON.stringify(r));
  const d = data(r);
  assert.equal(d['waitEnded'], 'complete');
  const conv = String(d['conversationId']);
  const shown = data(await mcp.call('conversation_show', { conversationId: conv }))['conversation'] as { rounds: { responses: unknown[] }[] };
  assert.equal(untrusted(shown.rounds[0]?.responses[0])['body'], 'beta says: 42');
  const consensus = data(await mcp.call('consensus', { conversationId: conv }))['consensus'] as Record<string, unknown>;
  assert.equal(consensus['consensus'], 'insufficient');
  const verdict = data(await mcp.call('set_verdict', { conversationId: conv, verdict: 'confirmed', summary: 'one answer, checked' }));
  assert.equal(verdict['verdict'], 'confirmed');
  const res = await mcp.client.readResource({ uri: `mesh://conversations/${conv}` });
  const doc = JSON.parse(String((res.contents[0] as { text: string }).text)) as { conversation: { verdict: { verdict: string } } };
  assert.equal(doc.conversation.verdict.verdict, 'confirmed');
});

test('bad arguments and hostile input are tool errors with MESH codes; the server keeps serving', async () => {
  const missing = await mcp.call('send_message', { to: 'beta' });
  assert.equal(missing.isError, true);
  assert.match((missing.content[0] as { text: string }).text, /body/);
  const wrongType = await mcp.call('request', { to: 'beta', body: 'x', timeoutSeconds: 'soon' });
  assert.equal(wrongType.isError, true);
  const tooLong = await mcp.call('request', { to: 'beta', body: 'x', timeoutSeconds: 3_600 });
  assert.equal(tooLong.isError, true);
  const huge = await mcp.call('send_message', { to: 'beta', body: 'x'.repeat(100_001) });
  assert.equal(huge.isError, true, 'an oversized body is refused before anything is sent');
  const badName = await mcp.call('request', { to: '../../etc/passwd', body: 'x' });
  assert.equal(badName.isError, true);

  const unknown = await mcp.call('send_message', { to: 'mallory', body: 'x' });
  assert.equal(unknown.isError, true);
  assert.equal(errorCode(unknown), 'UNKNOWN_AGENT');
  const several = await mcp.call('request', { to: 'beta,alpha', body: 'x' });
  assert.equal(several.isError, true, 'a request asks one agent (several: rally)');
  const noMessage = await mcp.call('reply', { messageId: 'msg_00000000-0000-4000-8000-000000000000', body: 'x' });
  assert.equal(errorCode(noMessage), 'NOT_FOUND');
  assert.equal(errorCode(await mcp.call('ack_message', { messageIds: ['msg_nope'] })), 'NOT_FOUND');
  assert.equal(errorCode(await mcp.call('conversation_show', { conversationId: 'conv_1767225600_0a1b2c3d' })), 'NOT_FOUND');
  assert.equal(errorCode(await mcp.call('consensus', { conversationId: 'conv_1767225600_0a1b2c3d' })), 'NOT_FOUND');
  assert.equal(errorCode(await mcp.call('rally', { question: 'x', agents: 'mallory' })), 'UNKNOWN_AGENT');
  await assert.rejects(mcp.client.readResource({ uri: 'mesh://inbox/msg_nope' }));
  await assert.rejects(mcp.call('no_such_tool', {}));
  // Still serving.
  assert.equal(data(await mcp.call('list_peers'))['self'] !== undefined, true);
  assert.doesNotMatch(mcp.stderr, /unexpected|TypeError|RangeError/);
});

test('stdout carries JSON-RPC messages only, also around failing calls; --print-config is valid JSON', async () => {
  const child = spawn(process.execPath, [MESH_BIN, 'mcp', '--home', cluster.node('alpha').home], { env: childEnv(), stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  track(child);
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const lines = [
    { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } },
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'send_message', arguments: { to: 'mallory', body: 'x' } } },
    { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'fetch_inbox', arguments: { limit: -5 } } },
    { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'fleet_status', arguments: {} } },
  ];
  child.stdin.write(`${lines.map((l) => JSON.stringify(l)).join('\n')}\n{not json\n`);
  const deadline = performance.now() + 60_000;
  while (!/"id":4/.test(out) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  child.stdin.end();
  const exit = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  assert.equal(exit, 0, 'it exits when the client closes stdin');
  const messages = out.trim().split('\n').map((l) => JSON.parse(l) as { jsonrpc: string; id?: number });
  assert.ok(messages.every((m) => m.jsonrpc === '2.0'));
  assert.deepEqual(messages.map((m) => m.id).filter((id) => id !== undefined).sort(), [1, 2, 3, 4]);

  const cfg = await runMesh(['mcp', '--print-config', '--json', '--home', cluster.node('alpha').home]);
  assert.equal(cfg.code, 0, cfg.stderr);
  const c = JSON.parse(cfg.stdout) as { mcpServers: { mesh: { command: string; args: string[] } } };
  assert.equal(c.mcpServers.mesh.command, process.execPath);
  assert.deepEqual(c.mcpServers.mesh.args.slice(1), ['mcp', '--home', cluster.node('alpha').home]);
});
