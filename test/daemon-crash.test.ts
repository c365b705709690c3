/**
 * "Nothing lost on a crash", with real `mesh serve` daemons on loopback:
 *  a) kill -9 of the RECEIVER while a sender streams notifications at it;
 *  b) kill -9 of the SENDER's daemon while it retries a queue for a peer that is down;
 *  c) SIGTERM of either daemon while messages are in flight;
 *  d) kill -9 of the RECEIVER while the sender's daemon drains a backlog in hook batches
 *     (POST /hooks/<sender>/batch, protocol/hook-batch.ts), several envelopes per request.
 * The receiver hands every message to a MESH_HANDLER script that appends "<id> <daemon label>" to a
 * file; afterwards every sent id must be there exactly once. The hand-off is at-least-once by
 * contract (a crash after the handler ran but before the hand-off was recorded runs it again), so a
 * repeated line is accepted only in that one shape: first written by the killed daemon, repeated by
 * its successor, at most one per crash (the worker hands off one message at a time).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { batchSizes } from './support/daemon-log.ts';
import { MeshCluster, waitFor, type ClusterNode } from './support/mesh-cluster.ts';
import type { DaemonProcess } from './support/mesh-process.ts';
import { describeRun, runMesh, runNodeScript, type CliResult } from './support/mesh-process.ts';
import { BACKGROUND_WORK_TIMEOUT_MS, CHILD_PROCESS_TIMEOUT_MS, SUITE_TIMEOUT_MS } from './support/timeouts.ts';

const BULK_SEND = fileURLToPath(new URL('./support/bulk-send.ts', import.meta.url));
/** Short retry schedule and breaker cool-down so the sender recovers within seconds. */
const FAST_DELIVERY = {
  delivery: {
    retryDelaysMs: [0, 500, 1000, 2000, 2000, 2000, 4000, 4000, 8000, 8000],
    breakerFailureThreshold: 3,
    breakerCooldownMs: 500,
    requestTimeoutMs: 5000,
    connectTimeoutMs: 2000,
  },
};
/** The outbox lease (90 s): a message a killed daemon held mid-attempt waits that long before its retry. */
const OUTBOX_LEASE_MS = 90_000;
const DRAIN_TIMEOUT_MS = OUTBOX_LEASE_MS + BACKGROUND_WORK_TIMEOUT_MS;
const HANDLER_TIMEOUT_MS = 3_000;

const clusters: MeshCluster[] = [];
after(async () => {
  await Promise.all(clusters.map((c) => c.close()));
});

interface Fleet {
  cluster: MeshCluster;
  alpha: ClusterNode;
  beta: ClusterNode;
  handler: string;
  handledFile: string;
}

async function fleet(): Promise<Fleet> {
  const cluster = await MeshCluster.create({ agents: ['alpha', 'beta'], config: FAST_DELIVERY });
  clusters.push(cluster);
  const handledFile = cluster.path('handled.txt');
  // One short line per hand-off, appended with O_APPEND: concurrent writers cannot interleave. It
  // names the daemon that ran it by the label serveBeta() put in that daemon's environment (the
  // handler inherits it). Not $PPID: a handler forked just before its daemon was killed starts with
  // parent 1, and its run could not be told from a repeat without a crash.
  const handler = cluster.script('record.sh', `#!/bin/bash\ncat > /dev/null\necho "$MESH_ID $CRASH_TEST_DAEMON" >> '${handledFile}'\n`);
  // A short handler timeout keeps the hand-off lease short (timeout + margin): a message whose
  // hand-off a crash cut short is retried by the restarted daemon after that lease.
  cluster.node('beta').updateConfig({ handler: { command: [handler], timeoutMs: HANDLER_TIMEOUT_MS } });
  return { cluster, alpha: cluster.node('alpha'), beta: cluster.node('beta'), handler, handledFile };
}

let betaStarts = 0;

/** Starts beta's daemon with the recording handler; `label` names it in the handled file. */
async function serveBeta(f: Fleet, opts: { logLevel?: 'debug' } = {}): Promise<DaemonProcess & { label: string }> {
  const label = `beta-${++betaStarts}`;
  const daemon = await f.beta.serve({ handler: f.handler, env: { CRASH_TEST_DAEMON: label }, ...opts });
  return Object.assign(daemon, { label });
}

/** id → labels of the daemons whose handler run recorded it, in file order. */
function handled(file: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  if (!existsSync(file)) return seen;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [id, daemon] = line.trim().split(' ');
    if (!id || !daemon) continue;
    seen.set(id, [...(seen.get(id) ?? []), daemon]);
  }
  return seen;
}

interface BulkResult {
  ids: string[];
  /** How many first attempts did not deliver (the message waited in the outbox for a retry). */
  queued: number;
  run: CliResult;
}

/**
 * Runs the bulk sender (4 lanes); `onProgress(n)` sees the number of messages sent so far.
 * Resolves with every id it reported once it exits.
 */
async function bulkSend(home: string, count: number, prefix: string, onProgress?: (sent: number) => void): Promise<BulkResult> {
  const ids: string[] = [];
  let queued = 0;
  const run = await runNodeScript(BULK_SEND, [home, 'beta', String(count), '4', prefix], {
    timeoutMs: CHILD_PROCESS_TIMEOUT_MS,
    onLine: (line) => {
      const r = JSON.parse(line) as { id: string | null; status: string };
      if (r.id !== null) ids.push(r.id);
      if (r.status === 'queued') queued++;
      onProgress?.(ids.length);
    },
  });
  assert.equal(run.code, 0, describeRun(run));
  assert.equal(ids.length, count);
  return { ids, queued, run };
}

/** `count` real `mesh send` processes, two at a time; resolves with the ids they printed. */
async function cliSends(home: string, count: number, prefix: string): Promise<{ ids: string[]; codes: number[] }> {
  const ids: string[] = [];
  const codes: number[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const r = await runMesh(['send', 'beta', 'notification', `${prefix} ${i}`, '--home', home]);
      codes.push(r.code ?? -1);
      assert.ok(r.code === 0 || r.code === 10, describeRun(r));
      ids.push(...r.stdout.split('\n').map((l) => l.trim()).filter(Boolean));
    }
  };
  await Promise.all([lane(), lane()]);
  return { ids, codes };
}

/** Waits until the sender's outbox is empty and the receiver handed every id off; returns ms taken. */
async function drained(f: Fleet, ids: readonly string[], startedAt: number): Promise<number> {
  try {
    await waitFor('the outbox to drain and every id to be handed off', DRAIN_TIMEOUT_MS, () => {
    if (f.alpha.deadLetters() > 0) throw new Error(`dead letters on alpha: ${JSON.stringify(f.alpha.query('SELECT id, reason, last_error FROM dead_letters'))}`);
    const seen = handled(f.handledFile);
    const handedOff = ids.every((id) => seen.has(id)) && f.beta.count("SELECT count(*) FROM inbox WHERE delivery_state <> 'delivered'") === 0;
    return f.alpha.outboxPending() === 0 && handedOff ? true : undefined;
  }, 200);
  } catch (e) {
    const seen = handled(f.handledFile);
    const missing = ids.filter((id) => !seen.has(id));
    const now = Date.now();
    const stuck = f.beta.query<{ id: string; delivery_state: string; lease_until: number; delivery_attempts: number }>(
      "SELECT id, delivery_state, lease_until, delivery_attempts FROM inbox WHERE delivery_state <> 'delivered'");
    throw new Error(`${(e as Error).message}\n alpha outbox pending: ${f.alpha.outboxPending()}; not handed off: ${missing.length}` +
      `\n beta inbox not delivered: ${JSON.stringify(stuck.map((r) => ({ ...r, leaseLeftMs: r.lease_until - now })))}`, { cause: e });
  }
  return Math.round(performance.now() - startedAt);
}

/**
 * Every id exactly once; a repeat is tolerated only as the documented at-least-once hand-off after a
 * kill -9 of `killedPids`: recorded by a killed daemon, then once more by a later one.
 */
function assertExactlyOnce(f: Fleet, ids: readonly string[], killed: readonly string[] = []): { duplicates: number } {
  assert.equal(new Set(ids).size, ids.length, 'the senders reported distinct ids');
  const seen = handled(f.handledFile);
  const extra = [...seen.keys()].filter((id) => !ids.includes(id));
  assert.deepEqual(extra, [], 'the handler saw only ids that were sent');
  const repeated = [...seen].filter(([, daemons]) => daemons.length > 1);
  for (const [id, daemons] of repeated) {
    assert.equal(daemons.length, 2, `${id} handed off ${daemons.length} times (${daemons.join(', ')})`);
    assert.ok(killed.includes(daemons[0] as string) && daemons[1] !== daemons[0],
      `${id} repeated without a crash in between: ${daemons.join(', ')} (killed: ${killed.join(', ')})`);
  }
  assert.ok(repeated.length <= killed.length, `${repeated.length} repeated hand-offs for ${killed.length} crash(es)`);
  for (const id of ids) assert.ok(seen.has(id), `${id} was never handed off`);
  // The receiver's inbox itself never holds a message twice (the sender's retries are de-duplicated by id).
  assert.equal(f.beta.count('SELECT count(*) FROM inbox'), ids.length);
  assert.equal(f.beta.count("SELECT count(*) FROM inbox WHERE delivery_state <> 'delivered'"), 0);
  return { duplicates: repeated.length };
}

const ms = (from: number, to = performance.now()): number => Math.round(to - from);

describe('nothing is lost when a daemon crashes', { timeout: SUITE_TIMEOUT_MS }, () => {
  test('a) kill -9 of the receiver mid-stream: every message handed off once', { timeout: SUITE_TIMEOUT_MS }, async () => {
    const f = await fleet();
    await f.alpha.serve();
    const first = await serveBeta(f);
    const N_BULK = 180;
    const N_CLI = 20;
    const t0 = performance.now();
    let killedAt = 0;
    let inboxAtKill = 0;
    let restarted: Promise<unknown> | null = null;
    const bulk = bulkSend(f.alpha.home, N_BULK, 'crash-a', (sent) => {
      if (sent !== 60 || restarted !== null) return;
      killedAt = performance.now();
      restarted = (async () => {
        await first.crash();
        inboxAtKill = f.beta.count('SELECT count(*) FROM inbox');
        await sleep(1_000); // the receiver stays down while the senders keep going
        await serveBeta(f);
      })();
    });
    const cli = cliSends(f.alpha.home, N_CLI, 'crash-a-cli');
    const [b, c] = await Promise.all([bulk, cli]);
    await restarted;
    const sentAt = performance.now();
    const ids = [...b.ids, ...c.ids];
    assert.equal(ids.length, N_BULK + N_CLI);
    assert.ok(killedAt > 0 && b.queued > 0, 'the crash happened while messages were being sent');
    const drainMs = await drained(f, ids, t0);
    const { duplicates } = assertExactlyOnce(f, ids, [first.label]);
    console.log(`# a) ${ids.length} messages (${N_CLI} via mesh send processes); beta killed at ${ms(t0, killedAt)} ms with ` +
      `${inboxAtKill} received, down ~1 s; ${b.queued + c.codes.filter((x) => x === 10).length} first attempts queued; ` +
      `senders done at ${ms(t0, sentAt)} ms; all handed off at ${drainMs} ms; repeated hand-offs: ${duplicates}`);
  });

  test('b) kill -9 of the sender\'s daemon mid-retry: delivered exactly once after both restart', { timeout: SUITE_TIMEOUT_MS }, async () => {
    const f = await fleet();
    const daemon = await f.alpha.serve();
    const N = 100;
    const t0 = performance.now();
    const b = await bulkSend(f.alpha.home, N, 'crash-b'); // beta is down: every message is queued
    assert.equal(b.queued, N);
    // Let alpha's daemon retry (attempts beyond the sender's first), then crash it.
    await waitFor('alpha\'s daemon to retry', BACKGROUND_WORK_TIMEOUT_MS, () => (f.alpha.count('SELECT max(attempts) FROM outbox') >= 2 ? true : undefined));
    const retriedAt = performance.now();
    await daemon.crash();
    const leased = f.alpha.count('SELECT count(*) FROM outbox WHERE lease_until > ?', Date.now());
    assert.equal(f.alpha.outboxPending(), N, 'nothing was delivered or dropped while beta was down');
    await serveBeta(f);
    await f.alpha.serve();
    const restartedAt = performance.now();
    // A lease the killed daemon held mid-attempt delays that message by one outbox lease (90 s).
    const drainMs = await drained(f, b.ids, t0);
    assertExactlyOnce(f, b.ids);
    const attempts = f.alpha.query<{ a: number }>('SELECT max(attempts) AS a FROM outbox')[0]?.a;
    console.log(`# b) ${N} queued in ${ms(t0, retriedAt)} ms incl. daemon retries; alpha killed with ${leased} leased; ` +
      `both restarted at ${ms(t0, restartedAt)} ms; all handed off at ${drainMs} ms; max attempts ${String(attempts)}`);
  });

  test('c1) SIGTERM of the receiver mid-stream: exits 0 on its own, nothing lost, no repeats', { timeout: SUITE_TIMEOUT_MS }, async () => {
    const f = await fleet();
    await f.alpha.serve();
    const first = await serveBeta(f);
    const N = 150;
    const t0 = performance.now();
    let stopped: Promise<{ code: number | null; ms: number; forced: boolean }> | null = null;
    const b = await bulkSend(f.alpha.home, N, 'term-c1', (sent) => {
      if (sent === 50 && stopped === null) stopped = first.stop();
    });
    const stop = await (stopped as unknown as Promise<{ code: number | null; ms: number; forced: boolean }>);
    // Exit 0 on its own, no SIGKILL (how fast is a benchmark's business, not a loaded test machine's).
    assert.deepEqual([stop.code, stop.forced], [0, false], first.stderr);
    await serveBeta(f);
    const drainMs = await drained(f, b.ids, t0);
    assertExactlyOnce(f, b.ids);
    console.log(`# c1) beta stopped by SIGTERM in ${stop.ms} ms (exit 0) mid-stream; ${b.queued} first attempts queued; ` +
      `${N} handed off exactly once at ${drainMs} ms`);
  });

  test('c2) SIGTERM of the sender\'s daemon while it drains a backlog: exits 0, nothing lost, no repeats', { timeout: SUITE_TIMEOUT_MS }, async () => {
    const f = await fleet();
    const N = 200;
    const t0 = performance.now();
    const b = await bulkSend(f.alpha.home, N, 'term-c2'); // no daemons yet: all queued
    assert.equal(b.queued, N);
    await serveBeta(f);
    const daemon = await f.alpha.serve();
    await waitFor('alpha to start draining', BACKGROUND_WORK_TIMEOUT_MS, () => (f.beta.count('SELECT count(*) FROM inbox') >= 20 ? true : undefined), 10);
    const stop = await daemon.stop();
    const pendingAtStop = f.alpha.outboxPending();
    // Exit 0 on its own, no SIGKILL, without draining the backlog first (checked below).
    assert.deepEqual([stop.code, stop.forced], [0, false], daemon.stderr);
    assert.equal(f.alpha.count('SELECT count(*) FROM outbox WHERE lease_until > ?', Date.now()), 0, 'a clean stop leaves no lease behind');
    assert.ok(pendingAtStop > 0, 'the daemon was stopped with work left (raise N if this fails)');
    await f.alpha.serve();
    const drainMs = await drained(f, b.ids, t0);
    assertExactlyOnce(f, b.ids);
    console.log(`# c2) alpha stopped by SIGTERM in ${stop.ms} ms (exit 0) with ${pendingAtStop} of ${N} still queued; ` +
      `all delivered and handed off exactly once at ${drainMs} ms`);
  });

  test('d) kill -9 of the receiver while hook batches are in flight: every message stored and handed off once', { timeout: SUITE_TIMEOUT_MS }, async () => {
    const f = await fleet();
    const N = 300;
    const t0 = performance.now();
    const b = await bulkSend(f.alpha.home, N, 'crash-d'); // no daemons yet: all queued
    assert.equal(b.queued, N);
    // beta logs each batch POST it takes as it starts on it (--log-level debug).
    const first = await serveBeta(f, { logLevel: 'debug' });
    await f.alpha.serve();
    await waitFor('beta to take a hook batch', BACKGROUND_WORK_TIMEOUT_MS, () => (batchSizes(first.stderr).length > 0 ? true : undefined), 5);
    await first.crash();
    const killedAt = performance.now();
    const batchesBeforeKill = batchSizes(first.stderr);
    const pendingAtKill = f.alpha.outboxPending();
    const inboxAtKill = f.beta.count('SELECT count(*) FROM inbox');
    assert.ok(pendingAtKill > 0, 'beta was killed with the backlog still draining (raise N if this fails)');
    await sleep(1_000); // alpha's attempts meanwhile fail and are scheduled again
    const second = await serveBeta(f, { logLevel: 'debug' });
    const drainMs = await drained(f, b.ids, t0);
    const { duplicates } = assertExactlyOnce(f, b.ids, [first.label]);
    console.log(`# d) ${N} queued; beta killed at ${ms(t0, killedAt)} ms after ${batchesBeforeKill.length} batch(es) ` +
      `(sizes ${batchesBeforeKill.join(', ')}) with ${inboxAtKill} stored and ${pendingAtKill} pending at alpha; ` +
      `${batchSizes(second.stderr).length} batches after the restart; all handed off at ${drainMs} ms; repeated hand-offs: ${duplicates}`);
  });
});
