import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { classifyResult } from '../../delivery/classify.ts';
import { sendToA2A } from './a2a-client.ts';

/** What the loopback "agent" answers next: status, content type, body, extra headers. */
let answer: { status: number; type: string; body: string; headers?: Record<string, string> };
let server: Server;
let url = '';

before(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(answer.status, { 'content-type': answer.type, ...answer.headers });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/a2a/v1`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const envelope = JSON.stringify({ id: 'msg_1', from: 'alpha', type: 'notification', payload: { body: 'hello' } });
const send = (): ReturnType<typeof sendToA2A> => sendToA2A({ url, token: 'tok', body: envelope, timeoutMs: 10_000 } as Parameters<typeof sendToA2A>[0]);

test('an endpoint that answers 404 (an OpenClaw gateway whose a2a channel has not registered its routes yet) is retried, not dead-lettered', async () => {
  answer = { status: 404, type: 'text/plain', body: 'Not Found' };
  const c = classifyResult(await send());
  assert.equal(c.verdict, 'transient', JSON.stringify(c));
});

test('a gateway still starting (503, Retry-After) is retried after the time it asks for', async () => {
  answer = { status: 503, type: 'text/plain', body: 'Plugin runtime is starting', headers: { 'retry-after': '1' } };
  const c = classifyResult(await send());
  assert.deepEqual([c.verdict, c.retryAfterMs], ['transient', 1000]);
});

test('a JSON-RPC error a retry cannot fix is permanent; a rate limit (-32000) is retried', async () => {
  answer = { status: 200, type: 'application/json', body: JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: -32602, message: 'bad params' } }) };
  assert.equal(classifyResult(await send()).verdict, 'permanent');
  answer = { status: 200, type: 'application/json', body: JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: -32000, message: 'Peer is rate limited' } }) };
  assert.equal(classifyResult(await send()).verdict, 'transient');
});

test('a task in the answer is delivered and carried back', async () => {
  answer = { status: 200, type: 'application/json', body: JSON.stringify({ jsonrpc: '2.0', id: 1, result: { task: { id: 't-1', contextId: 'c', status: { state: 'TASK_STATE_WORKING' } } } }) };
  const r = await send();
  assert.equal(classifyResult(r).verdict, 'delivered');
  assert.equal(r.a2aTask?.id, 't-1');
});
