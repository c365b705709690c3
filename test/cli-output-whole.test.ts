/**
 * Output arrives whole: `mesh` exits only after its stdout is drained, so a reader slower than the
 * command (a pipe holds 64 KiB on Linux) and a file both get every byte. Before, `process.exit()` right
 * after the write cut `mesh receive - | wc -c` at 131,072 bytes of 200,402, with exit 0.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { buildEnvelope } from '../src/protocol/envelope.ts';
import { wireTimestamp } from '../src/protocol/time.ts';
import { BUILT_MESH_BIN, builtBinUnusable } from './support/built-cli.ts';
import { audit, inbound, makeHome, type TestHome } from './support/cli-harness.ts';
import { runMeshRedirected, type RedirectedRun } from './support/shell-redirect.ts';

/** Well over a pipe buffer (64 KiB) and over the 128 KiB seen cut before. */
const BIG_BODY_CHARS = 300_000;

function bigEnvelope(body: string): string {
  return JSON.stringify(buildEnvelope({
    id: `msg_${randomUUID()}`, timestamp: wireTimestamp(Date.now()), from: 'beta', to: 'alpha', type: 'notification',
    nonce: randomBytes(16).toString('hex'), subject: 'big', body, ttl: 3600,
  }));
}

function assertWhole(r: RedirectedRun, what: string): string {
  assert.equal(r.code, 0, `${what}: exit code\nstderr: ${r.stderr}`);
  const text = r.stdout.toString('utf8');
  assert.ok(text.endsWith('\n'), `${what}: output ends with its final newline (${r.stdout.length} bytes arrived)`);
  return text;
}

/** A home of its own, so what `mesh receive` records does not change the other tests' data. */
async function withFreshHome(fn: (home: string) => Promise<void>): Promise<void> {
  const h = makeHome({ beta: 'http://127.0.0.1:9' });
  try {
    await fn(h.home);
  } finally {
    await h.cleanup();
  }
}

describe('output is never cut', () => {
  let h: TestHome;
  const bodies = Array.from({ length: 40 }, (_, i) => `${String(i).padStart(2, '0')}:${'b'.repeat(12_000)}`);

  before(() => {
    h = makeHome({ beta: 'http://127.0.0.1:9' });
    const t = Date.now() - 60_000;
    bodies.forEach((body, i) => h.node.store.inbox.insert(inbound(`i${i}`, t + i, { body })));
    h.node.store.inbox.insert(inbound('huge', t + 100, { body: 'h'.repeat(BIG_BODY_CHARS) }));
    for (let i = 0; i < 3_000; i++) h.node.store.audit.append(audit({ ts: t + i, id: `msg_${i}`, subject: `audit entry number ${i}, padded ${'p'.repeat(60)}` }));
  });
  after(async () => {
    await h.cleanup();
  });

  test('mesh receive - through a slow pipe prints the whole verified message', async () => {
    await withFreshHome(async (home) => {
      const body = 'r'.repeat(BIG_BODY_CHARS);
      const r = await runMeshRedirected(['receive', '-', '--home', home], { input: bigEnvelope(body) });
      const doc = JSON.parse(assertWhole(r, 'receive')) as { ok: boolean; body: string };
      assert.equal(doc.ok, true);
      assert.equal(doc.body, body);
    });
  });

  test('mesh inbox --json: slow pipe and file get the same, whole document', async () => {
    const args = ['inbox', '--json', '--limit', '0', '--home', h.home];
    const piped = await runMeshRedirected(args);
    const doc = JSON.parse(assertWhole(piped, 'inbox --json | slow reader')) as { total: number; messages: { id: string; body: string }[] };
    assert.equal(doc.total, 41);
    assert.deepEqual(doc.messages.slice(0, 40).map((m) => m.body), bodies);
    assert.equal(doc.messages[40]?.body.length, BIG_BODY_CHARS);
    const filed = await runMeshRedirected(args, { to: 'file' });
    assert.equal(filed.code, 0, filed.stderr);
    assert.ok(filed.stdout.equals(piped.stdout), `file (${filed.stdout.length} B) and slow pipe (${piped.stdout.length} B) got the same bytes`);
  });

  test('mesh inbox show --json through a slow pipe', async () => {
    const r = await runMeshRedirected(['inbox', 'show', 'huge', '--json', '--home', h.home], { readChunkBytes: 1024 });
    const doc = JSON.parse(assertWhole(r, 'inbox show --json')) as { id: string; body: string };
    assert.equal(doc.id, 'huge');
    assert.equal(doc.body.length, BIG_BODY_CHARS);
  });

  test('mesh export (NDJSON and CSV) through a slow pipe', async () => {
    const ndjson = assertWhole(await runMeshRedirected(['export', '--json', '--home', h.home]), 'export --json');
    const lines = ndjson.trimEnd().split('\n').map((l) => JSON.parse(l) as { id: string });
    assert.equal(lines.length, 3_000);
    assert.equal(lines.at(-1)?.id, 'msg_2999');
    const csv = assertWhole(await runMeshRedirected(['export', '--csv', '--home', h.home]), 'export --csv');
    assert.equal(csv.trimEnd().split('\r\n').length, 3_001, 'header and every entry');
  });

  test('the built mesh (dist/cli/bin.js) drains too', async (t) => {
    const unusable = builtBinUnusable();
    if (unusable !== null) {
      t.skip(unusable);
      return;
    }
    await withFreshHome(async (home) => {
      const body = 'd'.repeat(BIG_BODY_CHARS);
      const r = await runMeshRedirected(['receive', '-', '--home', home], { bin: BUILT_MESH_BIN, input: bigEnvelope(body) });
      assert.equal((JSON.parse(assertWhole(r, 'built receive')) as { body: string }).body, body);
    });
  });
});
