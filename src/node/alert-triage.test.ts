/**
 * `fleet.dedupAlerts`: the hand-off worker de-duplicates received alerts before waking the agent.
 * A real node (SQLite file in a temp home), a manual clock and a recording adapter: a duplicate is
 * settled without the adapter and recorded as suppressed with its incident; the others reach the
 * agent with their decision; a retried hand-off keeps the first decision; other types and a node
 * with the option off are untouched.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { AgentDelivery, HandOff, HandOffResult } from '../ports/agent-delivery.ts';
import type { NewInboxMessage } from '../ports/store.ts';
import { ManualClock } from '../testing/manual-clock.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { handOffDue } from './hand-off-worker.ts';
import { layoutOf } from './home.ts';
import { initHome } from './init-home.ts';
import { openNode, type MeshNode } from './mesh-node.ts';

const T0 = Date.UTC(2026, 0, 1);
const MINUTE_MS = 60_000;
const LEASE_MS = 40_000;

let seq = 0;
function alertRow(body: string, receivedAt: number, over: Partial<NewInboxMessage> & { metadata?: Record<string, unknown> } = {}): NewInboxMessage {
  const id = `msg_00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`;
  const { metadata, ...rest } = over;
  const type = rest.type ?? 'alert';
  const envelope = JSON.stringify({
    protocol: 'mesh/1.0', id, timestamp: new Date(receivedAt).toISOString(), from: 'alpha', to: 'beta', type,
    payload: { subject: 'Alert', body, attachments: [], metadata: metadata ?? {} },
  });
  return {
    id, from: 'alpha', to: 'beta', type, correlationId: null, conversationId: null, idempotencyKey: null, subject: 'Alert', envelope,
    body, auth: 'hmac', receivedAt, deliveryState: 'pending', nextDeliveryAt: receivedAt, ...rest,
  };
}

class Recorder implements AgentDelivery {
  readonly name = 'recorder';
  readonly given: HandOff[] = [];
  fail = false;
  deliver(h: HandOff): Promise<HandOffResult> {
    this.given.push(h);
    return Promise.resolve(this.fail ? { ok: false, transient: true, error: 'agent busy', retryAfterMs: null } : { ok: true, reply: null });
  }
}

describe('hand-off with fleet.dedupAlerts', () => {
  let root: string;
  let node: MeshNode;
  let clock: ManualClock;
  let agent: Recorder;

  function setDedup(on: boolean): void {
    const file = layoutOf(root).configFile;
    const cfg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    // Atomically, as `mesh` commands write it: the node sees it at once, within this turn (live-file.ts).
    writeFileAtomic(file, `${JSON.stringify({ ...cfg, fleet: { dedupAlerts: on } }, null, 2)}\n`);
  }

  /** Inserts the row and hands off everything due now. */
  async function receive(row: NewInboxMessage): Promise<string> {
    clock.set(row.receivedAt);
    node.store.inbox.insert(row);
    while ((await handOffDue(node, agent, LEASE_MS)) > 0) { /* until nothing is due */ }
    return row.id;
  }

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'mesh-alert-triage-'));
    initHome({ home: root, agent: 'beta' });
    clock = new ManualClock(T0);
    agent = new Recorder();
    setDedup(true);
    node = openNode({ home: root, env: {}, clock });
  });
  afterEach(async () => {
    await node.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('the agent is woken for new, escalate and recovery; duplicates are settled as suppressed with their incident', async () => {
    const ids: string[] = [];
    for (const [n, text] of ['gateway down', 'gateway down', 'gateway down', 'gateway down', 'gateway recovered'].entries()) {
      ids.push(await receive(alertRow(text, T0 + n * MINUTE_MS)));
    }
    assert.deepEqual(agent.given.map((h) => [h.envelope.id, h.alert?.decision]),
      [[ids[0], 'new'], [ids[2], 'escalate'], [ids[4], 'recovery']]);
    const rows = ids.map((id) => node.store.inbox.get(id));
    assert.deepEqual(rows.map((r) => [r?.alertDecision, r?.deliveryState]), [
      ['new', 'delivered'], ['suppressed', 'delivered'], ['escalate', 'delivered'], ['suppressed', 'delivered'], ['recovery', 'delivered'],
    ]);
    const incident = node.store.incidents.list()[0];
    assert.ok(incident !== undefined);
    assert.deepEqual(new Set(rows.map((r) => r?.incidentId)), new Set([incident.id]));
    assert.equal(incident.host, 'alpha', 'no address in the text: the sender is the host');
    assert.deepEqual([incident.check, incident.status, incident.alertCount, incident.firstSeen], ['gateway', 'resolved', 5, T0]);
    assert.deepEqual(agent.given.map((h) => h.alert?.incidentId), [incident.id, incident.id, incident.id]);

    const suppressed = node.store.events.after(0).filter((e) => e.type === 'message.hand_off_suppressed').map((e) => e.data);
    assert.deepEqual(suppressed, [{ id: ids[1], incidentId: incident.id }, { id: ids[3], incidentId: incident.id }]);
    assert.deepEqual(node.store.audit.query({ status: 'hand_off_suppressed' }).map((a) => [a.id, a.detail]),
      [[ids[1], `alert suppressed: incident ${incident.id}`], [ids[3], `alert suppressed: incident ${incident.id}`]]);
  });

  test('a retried hand-off keeps its first decision and counts the alert once', async () => {
    agent.fail = true;
    const id = await receive(alertRow('HTTP probe of 10.0.0.9 failed', T0));
    assert.equal(node.store.inbox.get(id)?.deliveryAttempts, 1);
    agent.fail = false;
    clock.advance(5 * MINUTE_MS);
    assert.equal(await handOffDue(node, agent, LEASE_MS), 1);
    assert.deepEqual(agent.given.map((h) => h.alert?.decision), ['new', 'new']);
    assert.equal(node.store.inbox.get(id)?.deliveryState, 'delivered');
    assert.equal(node.store.incidents.list()[0]?.alertCount, 1);
  });

  test('metadata host and check are used when valid; a recovery with no incident is suppressed', async () => {
    await receive(alertRow('disk 95% full', T0, { metadata: { host: 'db-1', check: 'disk' } }));
    await receive(alertRow('disk 96% full', T0 + 1, { metadata: { host: '../etc', check: 'disk' } }));
    assert.deepEqual(node.store.incidents.list().map((i) => i.dedupKey), ['db-1/disk', 'alpha/disk']);
    const lone = await receive(alertRow('tts back online', T0 + 2));
    assert.deepEqual([node.store.inbox.get(lone)?.alertDecision, node.store.inbox.get(lone)?.incidentId], ['suppressed', null]);
    assert.equal(agent.given.length, 2);
  });

  test('other message types, and every alert with the option off, are handed off untouched', async () => {
    await receive(alertRow('gateway down', T0, { type: 'notification' }));
    setDedup(false);
    await receive(alertRow('gateway down', T0 + 1));
    await receive(alertRow('gateway down', T0 + 2));
    assert.deepEqual(agent.given.map((h) => [h.envelope.type, h.alert]), [['notification', undefined], ['alert', undefined], ['alert', undefined]]);
    assert.equal(node.store.incidents.list({}).length, 0);
    assert.ok(node.store.inbox.list().every((m) => m.alertDecision === null));
  });
});
