/**
 * `mesh dedup` and `mesh incidents` through the real binary: stdout is exactly one word a script can
 * `case` on, the README's rule (third alert escalates) and recoveries hold across processes, the host
 * comes from the registry, usage errors exit 2 with nothing on stdout, concurrent runs count every
 * alert once (one `new`), and incidents can be listed and resolved.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeHome, type TestHome } from './support/cli-harness.ts';
import { describeRun, runMesh, type CliResult } from './support/mesh-process.ts';

const DOWN = 'HTTP probe of 10.0.0.5:18789 failed';

interface IncidentView {
  id: string;
  host: string;
  check: string;
  status: string;
  alertCount: number;
  escalated: boolean;
  resolvedBy: string | null;
  windowEndsAt: string | null;
  summary: string;
}

async function withHome(fn: (h: TestHome, mesh: (...args: string[]) => Promise<CliResult>) => Promise<void>): Promise<void> {
  const h = makeHome({ beta: 'http://10.0.0.5:18789', gamma: 'http://10.0.0.6:18789' });
  await h.node.close();
  try {
    await fn(h, (...args) => runMesh([...args, '--home', h.home]));
  } finally {
    await h.cleanup();
  }
}

function word(r: CliResult): string {
  assert.equal(r.code, 0, describeRun(r));
  assert.equal(r.stderr, '', describeRun(r));
  assert.match(r.stdout, /^(new|suppressed|escalate|recovery)\n$/, describeRun(r));
  return r.stdout.trim();
}

function json<T>(r: CliResult): T {
  assert.equal(r.code, 0, describeRun(r));
  return JSON.parse(r.stdout) as T;
}

describe('mesh dedup and mesh incidents', { timeout: 180_000 }, () => {
  test('one word per alert: new, suppressed, escalate on the third, suppressed; a recovery resolves', () => withHome(async (_h, mesh) => {
    const seen: string[] = [];
    for (let n = 0; n < 4; n++) seen.push(word(await mesh('dedup', DOWN)));
    assert.deepEqual(seen, ['new', 'suppressed', 'escalate', 'suppressed']);

    const active = json<{ incidents: IncidentView[] }>(await mesh('incidents', '--json')).incidents;
    assert.equal(active.length, 1);
    assert.deepEqual([active[0]?.host, active[0]?.check, active[0]?.alertCount, active[0]?.escalated], ['beta', 'gateway', 4, true]);
    assert.match(active[0]?.id ?? '', /^inc_\d{8}_beta_gateway_[0-9a-f]{8}$/);
    assert.ok(active[0]?.windowEndsAt !== null);

    assert.equal(word(await mesh('dedup', 'gateway on 10.0.0.5 is back online')), 'recovery');
    assert.equal(word(await mesh('dedup', 'gateway on 10.0.0.5 is back online')), 'suppressed', 'nothing left to recover');
    assert.deepEqual(json<{ incidents: IncidentView[] }>(await mesh('incidents', '--json')).incidents, []);
    const all = json<{ incidents: IncidentView[] }>(await mesh('incidents', '--all', '--json')).incidents;
    assert.deepEqual(all.map((i) => [i.status, i.resolvedBy, i.alertCount]), [['resolved', 'recovery', 5]]);

    assert.equal(word(await mesh('dedup', DOWN)), 'new', 'after the recovery: a new incident');
    const again = json<{ incidents: IncidentView[] }>(await mesh('incidents', '--all', '--json')).incidents;
    assert.equal(again.length, 2);
    assert.notEqual(again[0]?.id, again[1]?.id, 'the same key on the same day gets a new id');
  }));

  test('--host, --check and --json; words are joined; bash\'s false positives are gone', () => withHome(async (_h, mesh) => {
    const r = json<{ decision: string; host: string; check: string; recovery: boolean; incident: IncidentView }>(
      await mesh('dedup', 'Service agent-b:8900 is down', '--host', 'agent-b', '--check', 'http_probe', '--json'));
    assert.deepEqual([r.decision, r.host, r.check, r.recovery, r.incident.id.startsWith('inc_')], ['new', 'agent-b', 'http_probe', false, true]);
    assert.equal(word(await mesh('dedup', 'Service', 'agent-b:8900', 'is', 'down', '--host', 'agent-b', '--check', 'http_probe')), 'suppressed');
    const storage = json<{ host: string; check: string }>(await mesh('dedup', 'storage on 10.0.0.6 at average 97%', '--json'));
    assert.deepEqual([storage.host, storage.check], ['gamma', 'unknown'], 'bash said rag');
  }));

  test('a missing text or a bad --host is a usage error: exit 2, nothing on stdout', () => withHome(async (_h, mesh) => {
    for (const args of [['dedup'], ['dedup', '  '], ['dedup', 'x', '--host', '../etc'], ['dedup', 'x', '--check', 'a/b']]) {
      const r = await mesh(...args);
      assert.equal(r.code, 2, describeRun(r));
      assert.equal(r.stdout, '', describeRun(r));
      assert.match(r.stderr, /error: /, describeRun(r));
    }
    assert.deepEqual(json<{ incidents: unknown[] }>(await mesh('incidents', '--all', '--json')).incidents, []);
  }));

  test('concurrent runs for one alert: exactly one new, one escalate, every alert counted once', () => withHome(async (_h, mesh) => {
    const words = (await Promise.all(Array.from({ length: 6 }, () => mesh('dedup', DOWN)))).map(word).sort();
    assert.deepEqual(words, ['escalate', 'new', 'suppressed', 'suppressed', 'suppressed', 'suppressed']);
    const all = json<{ incidents: IncidentView[] }>(await mesh('incidents', '--all', '--json')).incidents;
    assert.deepEqual(all.map((i) => [i.status, i.alertCount]), [['active', 6]]);
  }));

  test('mesh incidents lists and resolves', () => withHome(async (_h, mesh) => {
    const empty = await mesh('incidents');
    assert.equal(empty.code, 0, describeRun(empty));
    assert.match(empty.stdout, /No active incidents/);

    word(await mesh('dedup', 'whisper on 10.0.0.6 slow'));
    const listed = await mesh('incidents');
    assert.equal(listed.code, 0, describeRun(listed));
    assert.match(listed.stdout, /^ID +HOST +CHECK +STATE +ALERTS +FIRST +LAST +SUMMARY\ninc_\d{8}_gamma_whisper_[0-9a-f]{8} +gamma +whisper +active +1 /);
    assert.match(listed.stdout, /whisper on 10\.0\.0\.6 slow\n$/);

    const [i] = json<{ incidents: IncidentView[] }>(await mesh('incidents', '--json')).incidents;
    assert.ok(i !== undefined);
    const done = json<{ resolved: boolean; incident: IncidentView }>(await mesh('incidents', 'resolve', i.id, '--json'));
    assert.deepEqual([done.resolved, done.incident.status, done.incident.resolvedBy], [true, 'resolved', 'operator']);
    const twice = await mesh('incidents', 'resolve', i.id);
    assert.equal(twice.code, 0, describeRun(twice));
    assert.match(twice.stdout, /was already resolved \(operator, /);
    const unknown = await mesh('incidents', 'resolve', 'inc_20260101_nope_x_00000000');
    assert.equal(unknown.code, 1, describeRun(unknown));
    assert.match(unknown.stderr, /no incident "inc_20260101_nope_x_00000000"/);
    assert.equal(word(await mesh('dedup', 'whisper on 10.0.0.6 slow')), 'new', 'resolved by hand: the next alert is new');
  }));
});
