/**
 * The relay on the wire, on loopback with real daemons:
 *  - a relayed envelope exactly as bash's mesh-send.sh makes it (HMAC-signed, then `jq -c '. + {relay:…}'`
 *    with the real jq, posted to the relay's /hooks/<sender>) is forwarded by our relay and verifies at
 *    our recipient;
 *  - a relay that changes one byte on the way is caught by the recipient (403 signature_invalid,
 *    audited), and an encrypted body is ciphertext to it. The tampering relay is a small HTTP server
 *    playing the elected relay; alpha elects it through `mesh discover elect` like any relay. alpha's
 *    lost link to delta is made by pointing alpha's registry entry for delta at a closed port (the
 *    real partition is test/fleet-failover.test.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { MeshCluster, waitFor, type ClusterNode, type JsonObject } from './support/mesh-cluster.ts';
import { describeRun, freePort } from './support/mesh-process.ts';
import { BACKGROUND_WORK_TIMEOUT_MS } from './support/timeouts.ts';

interface Forwarded { received: string; sent: string; status: number; body: string }

/**
 * A relay that forwards like ours (to the recipient's /hooks/<sender>, same bytes) but flips one
 * character of the payload when `tamper` is set. Answers /health as a MESH-TS relay named `name`.
 */
class TamperingRelay {
  readonly forwarded: Forwarded[] = [];
  tamper = false;
  #server: Server | null = null;
  port = 0;
  readonly name: string;
  readonly target: { url: string; token: string };
  constructor(name: string, target: { url: string; token: string }) {
    this.name = name;
    this.target = target;
  }

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void this.#handle(req.method ?? '', req.url ?? '', Buffer.concat(chunks).toString('utf8')).then(([status, body]) => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(body);
      }));
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  async #handle(method: string, url: string, body: string): Promise<[number, string]> {
    if (method === 'GET' && url === '/health') {
      return [200, JSON.stringify({ ok: true, status: 'live', agent: this.name, version: 'test', features: ['relay/1', 'forward/1'] })];
    }
    const m = /^\/hooks\/([A-Za-z0-9_-]+)$/.exec(url);
    if (method !== 'POST' || m === null) return [404, '{"ok":false}'];
    const envelopeText = (JSON.parse(body) as { message: string }).message;
    if (!envelopeText.includes('"relay":{')) return [202, '{"ok":true}']; // an announcement for the relay itself
    // Flip one character inside the payload (the body, or its ciphertext): a change a relay could make.
    const at = envelopeText.indexOf('"body":"') + '"body":"'.length + 3;
    const sent = this.tamper ? envelopeText.slice(0, at) + (envelopeText[at] === 'A' ? 'B' : 'A') + envelopeText.slice(at + 1) : envelopeText;
    const r = await fetch(`${this.target.url}/hooks/${m[1]}`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${this.target.token}` }, body: JSON.stringify({ message: sent }),
    });
    this.forwarded.push({ received: envelopeText, sent, status: r.status, body: await r.text() });
    return [202, '{"ok":true,"relayed":true}'];
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

const FLEET = { probeIntervalMs: 60_000, probeTimeoutMs: 1_000, unreachableAfterFailures: 2, electionHoldMs: 0 };

describe('the relay on the wire (loopback)', () => {
  let cluster: MeshCluster;
  let relay: TamperingRelay;
  const key = (from: ClusterNode, peer: string): string => readFileSync(join(from.home, 'config', 'signing-keys', `${peer}.key`), 'utf8').replace(/\s/g, '');

  before(async () => {
    cluster = await MeshCluster.create({
      agents: ['alpha', 'gamma', 'delta'], encryption: 'aes-256-gcm',
      config: { fleet: FLEET, delivery: { breakerFailureThreshold: 2, breakerCooldownMs: 60_000, retryDelaysMs: [0] } },
    });
    for (const n of cluster.nodes) n.updateRegistry((reg) => ((reg.agents['gamma'] as JsonObject)['role'] = 'relay'));
    await Promise.all([cluster.node('gamma').serve(), cluster.node('delta').serve()]);
  });

  after(async () => {
    await relay?.stop();
    await cluster?.close();
  });

  test('a relayed envelope made as bash makes it (signed, then jq adds the marker) is forwarded by our relay and verifies at the recipient', async () => {
    const alpha = cluster.node('alpha');
    const gamma = cluster.node('gamma');
    const delta = cluster.node('delta');
    const ts = new Date().toISOString().replace(/\.\d{3}Z$/, '.000Z');
    const id = 'msg_0bad0bad-0000-4000-8000-00000000b45e';
    // mesh-send.sh's jq object, key order of §2.1, signed over `jq -c` of it, then the relay fallback.
    const unsigned = execFileSync('jq', ['-nc', '--arg', 'id', id, '--arg', 'ts', ts, `{protocol:"mesh/1.0",id:$id,timestamp:$ts,from:"alpha",to:"delta",type:"notification",
      correlationId:null,conversationId:null,replyTo:null,replyContext:null,session:null,priority:"normal",ttl:300,idempotencyKey:null,
      nonce:"00112233445566778899aabbccddeeff",payload:{subject:"from bash",body:"relayed by a bash sender",attachments:[],metadata:{}}}`], { encoding: 'utf8' }).trim();
    const signature = `sha256:${createHmac('sha256', key(alpha, 'delta')).update(unsigned, 'utf8').digest('base64')}`;
    const signed = execFileSync('jq', ['-c', '--arg', 's', signature, '. + {signature: $s}'], { input: unsigned, encoding: 'utf8' }).trim();
    const relayed = execFileSync('jq', ['-c', '--arg', 'from', 'alpha', '--arg', 'via', 'gamma', '. + {relay: {from: $from, via: $via, originalTo: .to}}'], { input: signed, encoding: 'utf8' }).trim();
    const r = await fetch(`${gamma.url}/hooks/alpha`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${gamma.token}` }, body: JSON.stringify({ message: relayed }),
    });
    assert.equal(r.status, 202, await r.text());
    const got = await waitFor('delta to receive the bash-relayed message', BACKGROUND_WORK_TIMEOUT_MS, async () => (await delta.inbox()).find((m) => m.id === id));
    assert.deepEqual([got.from, got.auth, got.body], ['alpha', 'hmac', 'relayed by a bash sender']);
    assert.equal(delta.query<{ envelope: string }>('SELECT envelope FROM inbox WHERE id = ?', id)[0]?.envelope, relayed, 'the exact bytes bash sent');
    assert.equal(gamma.query("SELECT 1 FROM audit WHERE msg_id = ? AND status = 'relay_forwarded'", id).length, 1);
  });

  test('a relay that changes one byte is caught by the recipient; an encrypted body is ciphertext to it', async () => {
    const alpha = cluster.node('alpha');
    const delta = cluster.node('delta');
    await cluster.node('gamma').daemon?.stop(); // the real relay is gone: the tampering one is the only candidate
    relay = new TamperingRelay('tamper', { url: delta.url, token: delta.token });
    await relay.start();
    const dead = await freePort();
    alpha.updateRegistry((reg) => {
      reg.agents['tamper'] = { ip: '127.0.0.1', port: relay.port, token: 'tamper-token', role: 'relay', signing: false };
      reg.agents['hub'] = { ip: '127.0.0.1', port: dead, token: 'hub-token', role: 'hub' };
    });
    // Probes: the hub is down twice, the tampering relay and delta answer (delta: a MESH-TS node).
    assert.equal((await alpha.mesh(['discover', 'probe'])).code, 0);
    const elect = await alpha.meshJson<{ decision: string; relay: string | null; epoch: number }>(['discover', 'elect']);
    assert.deepEqual([elect.decision, elect.relay], ['elect', 'tamper'], JSON.stringify(elect));
    // alpha loses its link to delta.
    alpha.updateRegistry((reg) => ((reg.agents['delta'] as JsonObject)['port'] = dead));
    for (let i = 0; i < 2; i++) assert.equal((await alpha.mesh(['discover', 'probe'])).code, 0);
    const routes = await alpha.meshJson<{ routes: Record<string, { route: string; via: string | null }> }>(['discover', 'routes']);
    assert.deepEqual(routes.routes['delta'], { route: 'relay', via: 'tamper' });

    // Untouched, the relay's forward is accepted: its path is sound.
    const honest = await alpha.meshJson<{ results: { id: string; status: string; via?: string }[] }>(['send', 'delta', 'notification', 'honest relay', '--encrypt']);
    assert.deepEqual([honest.results[0]?.status, honest.results[0]?.via], ['delivered', 'tamper'], JSON.stringify(honest));
    assert.equal(relay.forwarded.at(-1)?.status, 202, relay.forwarded.at(-1)?.body);
    assert.equal((await delta.inbox()).find((m) => m.id === honest.results[0]?.id)?.body, 'honest relay');

    relay.tamper = true;
    const sent = await alpha.meshJson<{ results: { id: string; status: string }[] }>(['send', 'delta', 'notification', 'pay 100 to carol', '--encrypt']);
    const id = sent.results[0]?.id as string;
    const f = relay.forwarded.at(-1) as Forwarded;
    assert.ok(!f.received.includes('pay 100'), 'the relay only ever saw ciphertext');
    assert.notEqual(f.sent, f.received);
    assert.equal(f.status, 403, f.body);
    assert.equal((JSON.parse(f.body) as { code: string }).code, 'signature_invalid');
    assert.equal((await delta.inbox()).find((m) => m.id === id), undefined, 'never reaches delta\'s agent');
    const refused = delta.query<{ status: string }>('SELECT status FROM audit WHERE msg_id = ?', id).map((a) => a.status);
    assert.deepEqual(refused, ['rejected_signature_invalid']);
    const r = await delta.mesh(['export', '--json', '--status', 'rejected_signature_invalid']);
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, new RegExp(id));
  });
});
