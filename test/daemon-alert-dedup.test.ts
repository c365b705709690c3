/**
 * `fleet.dedupAlerts` with a real `mesh serve` and a handler command: alpha sends beta five alerts
 * about one problem (the last one says it recovered) and a notification. beta's agent is woken for
 * the first alert (new), the third (escalate) and the recovery, each with its decision and incident in
 * MESH_ALERT_DECISION / MESH_INCIDENT_ID, and for the notification; the two duplicates are settled
 * without it, recorded as suppressed with the incident, visible in `mesh inbox`; the incident is
 * resolved by the recovery.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { MeshCluster, waitFor, type ClusterNode } from './support/mesh-cluster.ts';
import { describeRun } from './support/mesh-process.ts';

/** Generous for a loaded 2-core machine. */
const SETTLE_WAIT_MS = 60_000;

interface Seen {
  id: string;
  type: string;
  decision: string;
  incident: string;
  body: string;
}

interface InboxRow {
  id: string;
  type: string;
  body: string;
  deliveryState: string;
  alert: { decision: string; incidentId: string | null } | null;
}

describe('mesh serve with fleet.dedupAlerts wakes the agent once per incident step', { timeout: 240_000 }, () => {
  let cluster: MeshCluster;
  let alpha: ClusterNode;
  let beta: ClusterNode;
  let seenFile: string;

  before(async () => {
    cluster = await MeshCluster.create({ agents: ['alpha', 'beta'] });
    alpha = cluster.node('alpha');
    beta = cluster.node('beta');
    beta.updateConfig({ fleet: { dedupAlerts: true } });
    seenFile = cluster.path('seen.jsonl');
    const handler = cluster.script('record.mjs', [
      `#!${process.execPath}`,
      "import { appendFileSync } from 'node:fs';",
      "let text = ''; process.stdin.setEncoding('utf8');",
      "process.stdin.on('data', (c) => (text += c));",
      "process.stdin.on('end', () => {",
      '  const e = JSON.parse(text);',
      '  const { MESH_ID: id, MESH_TYPE: type, MESH_ALERT_DECISION: decision, MESH_INCIDENT_ID: incident } = process.env;',
      `  appendFileSync(${JSON.stringify(seenFile)}, JSON.stringify({ id, type, decision, incident, body: e.payload.body }) + '\\n');`,
      '});',
      '',
    ].join('\n'));
    await beta.serve({ handler });
  });

  after(async () => {
    await cluster?.close();
  });

  function seen(): Seen[] {
    if (!existsSync(seenFile)) return [];
    return readFileSync(seenFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Seen);
  }

  test('new, escalate and recovery reach the agent with their incident; duplicates are suppressed', async () => {
    const texts = ['gateway probe failing', 'gateway probe failing', 'gateway probe failing', 'gateway probe failing', 'gateway recovered'];
    const ids: string[] = [];
    for (const text of texts) {
      const r = await alpha.meshJson<{ results: { id: string; status: string }[] }>(['send', 'beta', 'alert', text]);
      assert.equal(r.results[0]?.status, 'delivered', JSON.stringify(r));
      ids.push(r.results[0]?.id ?? '');
    }
    const note = await alpha.meshJson<{ results: { id: string }[] }>(['send', 'beta', 'notification', 'gateway probe failing']);
    ids.push(note.results[0]?.id ?? '');

    const rows = await waitFor('every message settled on beta', SETTLE_WAIT_MS, async () => {
      const pending = beta.count("SELECT count(*) AS n FROM inbox WHERE delivery_state = 'pending'");
      const total = beta.count('SELECT count(*) AS n FROM inbox');
      return total === ids.length && pending === 0 ? beta.meshJson<{ messages: InboxRow[] }>(['inbox', '--limit', '0']) : undefined;
    }, 200);
    const byId = new Map(rows.messages.map((m) => [m.id, m]));
    const [incident] = (await beta.meshJson<{ incidents: { id: string; host: string; check: string; status: string; resolvedBy: string; alertCount: number }[] }>(
      ['incidents', '--all'])).incidents;
    assert.ok(incident !== undefined);
    assert.deepEqual([incident.host, incident.check, incident.status, incident.resolvedBy, incident.alertCount],
      ['alpha', 'gateway', 'resolved', 'recovery', 5]);

    assert.deepEqual(seen().map((s) => [s.id, s.type, s.decision, s.incident]), [
      [ids[0], 'alert', 'new', incident.id],
      [ids[2], 'alert', 'escalate', incident.id],
      [ids[4], 'alert', 'recovery', incident.id],
      [ids[5], 'notification', '', ''],
    ]);
    assert.deepEqual(ids.map((id) => [byId.get(id)?.deliveryState, byId.get(id)?.alert?.decision ?? null]), [
      ['delivered', 'new'], ['delivered', 'suppressed'], ['delivered', 'escalate'], ['delivered', 'suppressed'], ['delivered', 'recovery'],
      ['delivered', null],
    ]);
    assert.equal(byId.get(ids[1] ?? '')?.alert?.incidentId, incident.id);

    const show = await beta.mesh(['inbox', 'show', ids[1] ?? '']);
    assert.equal(show.code, 0, describeRun(show));
    assert.match(show.stdout, /hand-off +suppressed: a duplicate alert, not handed to the agent/);
    assert.match(show.stdout, new RegExp(`alert +suppressed \\(incident ${incident.id} `));
    assert.equal(beta.count("SELECT count(*) AS n FROM events WHERE type = 'message.hand_off_suppressed'"), 2);
  });
});
