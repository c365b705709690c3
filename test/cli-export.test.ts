import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { audit, makeHome, parseCsv, runCli, type TestHome } from './support/cli-harness.ts';

const HOUR = 3_600_000;
const TRICKY = ['a, b', 'say "hi"', 'line one\nline two', 'crlf\r\nend', '=HYPERLINK("http://x","y")', '+1', '-2', '@SUM(A1)', 'plain'];

async function withHome(fn: (h: TestHome, now: number) => Promise<void>): Promise<void> {
  const h = makeHome();
  try {
    await fn(h, Date.now());
  } finally {
    await h.cleanup();
  }
}

test('export: NDJSON by default, one object per line with the audit-mirror keys; --format json is the same', async () => {
  await withHome(async ({ home, node }, now) => {
    node.audit.record(audit({ ts: now - 1_000, id: 'm1', correlationId: 'c1', signed: true }));
    node.audit.record(audit({ ts: now, direction: 'in', status: 'received', id: 'm2', from: 'beta', to: 'alpha', type: 'response' }));
    const r = await runCli(home, ['export']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2);
    const first = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    assert.deepEqual(Object.keys(first), ['ts', 'from', 'to', 'type', 'id', 'subject', 'status', 'correlationId', 'conversationId', 'signed', 'encrypted', 'direction', 'detail']);
    assert.equal(first['ts'], new Date(now - 1_000).toISOString());
    assert.equal(first['correlationId'], 'c1');
    assert.equal(first['signed'], true);
    assert.equal((await runCli(home, ['export', '--format', 'json'])).stdout, r.stdout);
    assert.equal((await runCli(home, ['export', '--json'])).stdout, r.stdout);
  });
});

test('export --csv: RFC 4180 quoting round-trips commas, quotes and line breaks; formula cells are guarded', async () => {
  await withHome(async ({ home, node }, now) => {
    for (const [i, subject] of TRICKY.entries()) node.audit.record(audit({ ts: now + i, id: `m${i}`, subject }));
    const r = await runCli(home, ['export', '--csv']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.startsWith('timestamp,from,to,type,status,subject,signed,direction,id,correlationId\r\n'));
    const rows = parseCsv(r.stdout);
    assert.equal(rows.length, TRICKY.length + 1);
    for (const row of rows) assert.equal(row.length, 10);
    const subjects = rows.slice(1).map((row) => row[5]);
    const guarded = (s: string): string => (/^[=+\-@]/.test(s) ? `'${s}` : s);
    assert.deepEqual(subjects, TRICKY.map(guarded));
    assert.deepEqual(rows[1], [new Date(now).toISOString(), 'alpha', 'beta', 'notification', 'sent', 'a, b', 'false', 'out', 'm0', '']);

    const raw = parseCsv((await runCli(home, ['export', '--format', 'csv', '--raw'])).stdout);
    assert.deepEqual(raw.slice(1).map((row) => row[5]), TRICKY, '--raw: exact round-trip');
  });
});

test('export filters: --agent, --from, --to, --type, --status, --since, --until, --limit', async () => {
  await withHome(async ({ home, node }, now) => {
    node.audit.record(audit({ ts: now - 3 * 24 * HOUR, id: 'old', to: 'gamma' }));
    node.audit.record(audit({ ts: now - 2 * HOUR, id: 'two-hours', type: 'request' }));
    node.audit.record(audit({ ts: now - 60_000, id: 'recent', status: 'dead_lettered', to: 'gamma' }));
    node.audit.record(audit({ ts: now, direction: 'in', status: 'received', id: 'in1', from: 'gamma', to: 'alpha' }));
    const ids = async (...args: string[]): Promise<string[]> => {
      const r = await runCli(home, ['export', ...args]);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trimEnd().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { id: string }).id);
    };
    assert.deepEqual(await ids('--agent', 'gamma'), ['old', 'recent', 'in1']);
    assert.deepEqual(await ids('--from', 'gamma'), ['in1']);
    assert.deepEqual(await ids('--to', 'gamma'), ['old', 'recent']);
    assert.deepEqual(await ids('--type', 'request'), ['two-hours']);
    assert.deepEqual(await ids('--status', 'dead_lettered'), ['recent']);
    assert.deepEqual(await ids('--since', '30m'), ['recent', 'in1']);
    assert.deepEqual(await ids('--since', '2 days ago'), ['two-hours', 'recent', 'in1']);
    assert.deepEqual(await ids('--since', '2 days'), ['two-hours', 'recent', 'in1']);
    assert.deepEqual(await ids('--since', '48h', '--until', '1h'), ['two-hours']);
    assert.deepEqual(await ids('--since', new Date(now - 90_000).toISOString()), ['recent', 'in1']);
    assert.deepEqual(await ids('--limit', '2'), ['old', 'two-hours']);
    const csv = parseCsv((await runCli(home, ['export', '--format', 'csv', '--since', '1d', '--agent', 'gamma'])).stdout);
    assert.deepEqual(csv.slice(1).map((row) => row[8]), ['recent', 'in1']);
  });
});

test('export usage errors: bad --since with an example, two formats, unknown format (exit 2)', async () => {
  await withHome(async ({ home }) => {
    const bad = await runCli(home, ['export', '--since', 'last tuesday']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since "last tuesday" is not a time: .*e\.g\. --since 48h/);
    assert.equal((await runCli(home, ['export', '--until', '2026-02-31'])).code, 2, 'a date that does not exist');
    assert.equal((await runCli(home, ['export', '--json', '--csv'])).code, 2);
    assert.equal((await runCli(home, ['export', '--format', 'xml'])).code, 2);
    assert.equal((await runCli(home, ['export', '--since', '1h', '--until', '2h'])).code, 2);
    assert.equal((await runCli(home, ['export', 'extra'])).code, 2);
    const out = await runCli(home, ['export', '--output', join(home, 'no', 'such', 'dir', 'x.csv')]);
    assert.equal(out.code, 2);
    assert.match(out.stderr, /cannot write --output .*ENOENT/);
  });
});

test('export --output writes the file (mode 600) and streams large exports in chunks', async () => {
  await withHome(async ({ home, node }, now) => {
    const n = 3_000;
    node.store.transaction(() => {
      for (let i = 0; i < n; i++) node.store.audit.append(audit({ ts: now + i, id: `m${i}`, subject: `subject number ${i}, with a comma` }));
    });
    const r = await runCli(home, ['export', '--csv', '--output', 'audit.csv']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /exported 3000 audit entries to audit\.csv \(CSV\)/);
    const file = join(home, 'audit.csv');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const text = readFileSync(file, 'utf8');
    assert.ok(text.length > 128 * 1024, 'larger than one chunk');
    const rows = parseCsv(text);
    assert.equal(rows.length, n + 1);
    assert.equal(rows[n]?.[5], `subject number ${n - 1}, with a comma`);
  });
});
