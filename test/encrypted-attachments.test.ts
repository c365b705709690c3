/**
 * `--encrypt` protects what it says it does, between two real `mesh serve` daemons driven through
 * the real CLI. aes-256-gcm peers: inline and served-file attachments travel inside the ciphertext
 * (the receiver's stored wire envelope — the exact bytes that came over HTTP — holds none of them),
 * and the receiver's inbox and its agent's hand-off see them decrypted. aes-256-cbc (bash) peers:
 * `--encrypt` with attachments is refused unless `--clear-attachments`, and then the output says so.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { MeshCluster, waitFor, type ClusterNode } from './support/mesh-cluster.ts';
import { describeRun } from './support/mesh-process.ts';
import { BACKGROUND_WORK_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS, SUITE_TIMEOUT_MS } from './support/timeouts.ts';

interface Coverage { body: boolean; attachments: boolean | 'none' }
interface SendJson { ok: boolean; results: { peer: string; id: string; status: string; encrypted: Coverage }[] }
interface AttachmentView { type: string; filename?: string; data?: string; url?: string; expiresAt?: string; mimeType?: string }
interface ShowJson { id: string; body: string; attachments: AttachmentView[]; encrypted: Coverage }

const SMALL_TEXT = 'launch window 0400, gate K7 — keep this quiet\n';
/** Over the 64 KiB inline limit: served by alpha's daemon at an expiring URL. */
const BIG = Buffer.alloc(100_000, 'quarterly-figures-row;');

function wireEnvelope(node: ClusterNode, id: string): string {
  const [row] = node.query<{ envelope: string }>('SELECT envelope FROM inbox WHERE id = ?', id);
  assert.ok(row, `${id} stored on ${node.name}`);
  return row.envelope;
}

async function shown(node: ClusterNode, id: string): Promise<ShowJson> {
  await waitFor(`${id} in ${node.name}'s inbox`, BACKGROUND_WORK_TIMEOUT_MS, async () => (await node.inbox()).find((m) => m.id === id));
  return node.meshJson<ShowJson>(['inbox', 'show', id]);
}

describe('--encrypt covers attachments, or says it does not', { timeout: SUITE_TIMEOUT_MS }, () => {
  let cluster: MeshCluster;
  let alpha: ClusterNode;
  let beta: ClusterNode;
  let small: string;
  let big: string;
  let handedOff: string;

  before(async () => {
    cluster = await MeshCluster.create({ agents: ['alpha', 'beta'], encryption: 'aes-256-gcm' });
    alpha = cluster.node('alpha');
    beta = cluster.node('beta');
    small = cluster.path('secret-plan.txt');
    big = cluster.path('big-figures.csv');
    writeFileSync(small, SMALL_TEXT);
    writeFileSync(big, BIG);
    handedOff = cluster.path('handed-off');
    // beta's agent: a handler that keeps the envelope it was given, one file per message id.
    const handler = cluster.script('keep.mjs', [
      `#!${process.execPath}`,
      "import { writeFileSync } from 'node:fs';",
      "let text = ''; process.stdin.setEncoding('utf8');",
      "process.stdin.on('data', (c) => (text += c));",
      `process.stdin.on('end', () => writeFileSync(${JSON.stringify(handedOff)} + '-' + process.env.MESH_ID + '.json', text));`,
      '',
    ].join('\n'));
    await Promise.all([alpha.serve(), beta.serve({ handler })]);
  });

  after(async () => {
    await cluster?.close();
  });

  test('aes-256-gcm: inline and served-file attachments travel encrypted; beta sees them decrypted', async () => {
    const sentAt = Date.now();
    const sent = await alpha.meshJson<SendJson>(['send', 'beta', 'notification', 'figures attached', '--encrypt', '--file', small, '--file', big, '--ttl', '900']);
    const [r] = sent.results;
    assert.equal(r?.status, 'delivered', JSON.stringify(sent));

    // The exact envelope bytes beta received: nothing of the attachments in clear.
    const wire = wireEnvelope(beta, r.id);
    const leaks = [SMALL_TEXT.slice(0, 20), Buffer.from(SMALL_TEXT).toString('base64').slice(0, 20), 'secret-plan', 'big-figures', '/files/', 'figures attached'];
    for (const leak of leaks) assert.ok(!wire.includes(leak), `"${leak}" travelled in clear`);
    assert.deepEqual(r.encrypted, { body: true, attachments: true });
    const payload = (JSON.parse(wire) as { payload: { attachments: unknown[]; body: string; encrypted: boolean } }).payload;
    assert.deepEqual(payload.attachments, []);
    assert.equal(payload.encrypted, true);
    assert.match(payload.body, /^\{"enc":"aes-256-gcm","v":2,/);

    // beta's inbox shows them as if they had come in clear.
    const view = await shown(beta, r.id);
    assert.equal(view.body, 'figures attached');
    assert.deepEqual(view.encrypted, { body: true, attachments: true });
    const [inline, served] = view.attachments;
    assert.deepEqual([inline?.type, inline?.filename, inline?.mimeType], ['inline', 'secret-plan.txt', 'text/plain']);
    assert.equal(Buffer.from(inline?.data ?? '', 'base64').toString('utf8'), SMALL_TEXT);
    assert.deepEqual([served?.type, served?.filename], ['url', 'big-figures.csv']);
    const human = await beta.mesh(['inbox', 'show', r.id]);
    assert.match(human.stdout, /encrypted\s+body and attachments/);
    assert.match(human.stdout, /secret-plan\.txt \(text\/plain, \d+ bytes\): inline/);

    // The served file: alive for the message's TTL, fetched from alpha's daemon with nosniff.
    const expires = Date.parse(served?.expiresAt ?? '');
    assert.ok(expires >= sentAt + 900_000 - 1_000 && expires <= Date.now() + 900_000, `expiresAt ${served?.expiresAt} follows --ttl 900`);
    const res = await fetch(served?.url ?? '', { signal: AbortSignal.timeout(HTTP_REQUEST_TIMEOUT_MS) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(BIG));

    // beta's agent was handed the decrypted attachments too.
    const file = `${handedOff}-${r.id}.json`;
    await waitFor('the hand-off to beta\'s handler', BACKGROUND_WORK_TIMEOUT_MS, () => (existsSync(file) ? true : undefined));
    const agentView = JSON.parse(readFileSync(file, 'utf8')) as { payload: { body: string; attachments: AttachmentView[] } };
    assert.equal(agentView.payload.body, 'figures attached');
    assert.deepEqual(agentView.payload.attachments.map((a) => a.filename), ['secret-plan.txt', 'big-figures.csv']);
  });

  test('aes-256-gcm without attachments keeps the format-1 body that every MESH-TS node reads', async () => {
    const sent = await alpha.meshJson<SendJson>(['send', 'beta', 'notification', 'body only secret', '--encrypt']);
    const [r] = sent.results;
    assert.deepEqual(r?.encrypted, { body: true, attachments: 'none' });
    const view = await shown(beta, r.id);
    assert.equal(view.body, 'body only secret');
    assert.match((JSON.parse(wireEnvelope(beta, r.id)) as { payload: { body: string } }).payload.body, /^\{"enc":"aes-256-gcm","salt":/);
  });

  test('aes-256-cbc: --encrypt with attachments is refused; --clear-attachments sends them in clear and says so', async () => {
    cluster.setEncryption('aes-256-cbc');
    await beta.daemon?.stop();
    await beta.serve();
    const outboxBefore = alpha.count('SELECT count(*) FROM outbox');
    const filesBefore = alpha.count("SELECT count(*) FROM kv WHERE key LIKE 'file:%'");

    for (const extra of [['--file', small], ['--file', big], ['--inline', 'QUJD']]) {
      const refused = await alpha.mesh(['send', 'beta', 'notification', 'cbc try', '--encrypt', ...extra]);
      assert.equal(refused.code, 2, describeRun(refused));
      assert.match(refused.stderr, /--clear-attachments/);
      assert.match(refused.stderr, /beta/);
    }
    const refusedJson = await alpha.meshJson<{ ok: boolean; error: { code: string; message: string } }>(
      ['send', 'beta', 'notification', 'cbc try', '--encrypt', '--file', small], 2);
    assert.equal(refusedJson.error.code, 'INVALID_ARGUMENT');
    assert.equal(alpha.count('SELECT count(*) FROM outbox'), outboxBefore, 'nothing was queued');
    assert.equal(alpha.count("SELECT count(*) FROM kv WHERE key LIKE 'file:%'"), filesBefore, 'no file was set up for serving');

    const sent = await alpha.meshJson<SendJson>(['send', 'beta', 'notification', 'cbc body secret', '--encrypt', '--clear-attachments', '--file', small]);
    const [r] = sent.results;
    assert.equal(r?.status, 'delivered', JSON.stringify(sent));
    assert.deepEqual(r.encrypted, { body: true, attachments: false });
    const wire = wireEnvelope(beta, r.id);
    assert.ok(!wire.includes('cbc body secret'), 'the body is still encrypted');
    assert.ok(wire.includes('secret-plan.txt'), 'the attachment travelled in clear, as asked');
    const view = await shown(beta, r.id);
    assert.deepEqual([view.body, view.attachments[0]?.filename], ['cbc body secret', 'secret-plan.txt']);
    assert.deepEqual(view.encrypted, { body: true, attachments: false });

    const human = await alpha.mesh(['send', 'beta', 'notification', 'cbc again', '--encrypt', '--clear-attachments', '--inline', 'QUJD']);
    assert.equal(human.code, 0, describeRun(human));
    assert.match(human.stderr, /attachments NOT encrypted/);
  });
});
