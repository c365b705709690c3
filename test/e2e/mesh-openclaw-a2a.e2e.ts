// MESH and a REAL OpenClaw gateway (openclaw@2026.9.6) talking A2A 1.0 through OpenClaw's bundled
// `a2a` channel, both ways, set up as the README's "MESH and A2A" section says:
//  - the gateway has a peer entry for the MESH node `alpha` (`channels.a2a.peers.alpha`: the token
//    alpha presents, alpha's `/a2a/v1` as `url`, and an `outboundToken` listed in alpha's
//    `a2aClients`), and alpha joins it with `mesh join gw --a2a http://127.0.0.1:<port> <token>`;
//  - the gateway's agent is driven by the scripted fake model (no API keys).
// Scenarios: `mesh request` to the gateway gets its agent's answer; `openclaw message send --channel
// a2a --target alpha` reaches alpha's inbox, alpha's agent answers with `mesh reply`, and the task
// OpenClaw's send created carries that answer; a rally to a second MESH node (`beta`, a hook peer
// answered by its handler) and the gateway joins both answers to the conversation; with the gateway
// stopped, a `mesh send` and a `mesh request` wait in alpha's outbox and reach the gateway's agent
// once it is started again on its port.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { messageText, replyWhen, startFakeModel } from './support/fake-model.ts';
import type { FakeModel, RecordedRequest } from './support/fake-model.ts';
import { installOpenClaw } from './support/install-openclaw.ts';
import { freeLoopbackPort, startGateway } from './support/openclaw-gateway.ts';
import type { OpenClawGateway } from './support/openclaw-gateway.ts';
import { waitUntil } from './support/wait.ts';
import { startServe, stopServe, type Serve } from './support/mesh-serve.ts';
import { describeRun, runMesh as runMeshCli, type CliResult } from '../support/mesh-process.ts';
import {
  BACKGROUND_WORK_TIMEOUT_MS, CLI_RUN_TIMEOUT_MS, E2E_AGENT_RUN_TIMEOUT_MS, E2E_SUITE_TIMEOUT_MS,
  HTTP_REQUEST_TIMEOUT_MS, SUITE_TIMEOUT_MS,
} from '../support/timeouts.ts';

const nonce = randomBytes(6).toString('hex');
/** Bearer token alpha presents to the gateway (the gateway's `peers.alpha.token`). */
const GW_TOKEN = `gw-in-${randomBytes(16).toString('hex')}`;
/** Bearer token the gateway presents to alpha (`peers.alpha.outboundToken`, alpha's `a2aClients.gw`). */
const ALPHA_TOKEN = `alpha-in-${randomBytes(16).toString('hex')}`;

/** A second peer of the gateway, for the test's own warm-up calls (never MESH's). */
const WARMUP_TOKEN = `warmup-${randomBytes(16).toString('hex')}`;
const WARMUP = `WARMUP-${nonce}`;
/** Warm-up turns tried before giving up on a gateway that cannot run its agent. */
const WARMUP_ATTEMPTS = 5;
/** One blocking SendMessage: OpenClaw answers within its replyTimeoutMs (120 s), or with the working task. */
const WARMUP_CALL_TIMEOUT_MS = 180_000;
const ASK = `ASK-GW-${nonce}: what is the replication lag?`;
const GW_ANSWER = `gw-answer-lag-is-4s-${nonce}`;
const TO_ALPHA = `from-openclaw-${nonce}: please confirm the backup ran`;
const ALPHA_ANSWER = `alpha-confirms-backup-${nonce}`;
const RALLY_Q = `RALLY-${nonce}: how many active rows?`;
const GW_RALLY_ANSWER = `gw-rally-1260-rows-${nonce}`;
const OUTAGE_NOTE = `OUTAGE-NOTE-${nonce} the deploy finished`;
const OUTAGE_ASK = `OUTAGE-ASK-${nonce}: are you back?`;
const OUTAGE_ANSWER = `gw-back-online-${nonce}`;

/** Waits of `mesh request --wait`/`rally --wait` here: one agent run on a loaded machine, plus the follow. */
const WAIT_SECONDS = Math.round(E2E_AGENT_RUN_TIMEOUT_MS / 1000);
/** The `mesh` CLI run that waits that long. */
const WAIT_RUN_TIMEOUT_MS = WAIT_SECONDS * 1000 + CLI_RUN_TIMEOUT_MS;
/**
 * Alpha's outbox retry schedule (delivery.retryDelaysMs): attempts for about 7 minutes, so a gateway
 * that takes minutes to start on a loaded machine is still reached by a retry (the default, 0/5/15/60 s,
 * dead-letters after 80 s).
 */
const RETRY_DELAYS_MS = [0, 2_000, 5_000, 10_000, 20_000, 30_000, 30_000, 30_000, 30_000, 30_000, 30_000, 30_000, 30_000, 30_000, 30_000, 30_000, 30_000];

/** `openclaw message send` loads OpenClaw's plugin runtime first: 50-70 s were seen on a loaded machine. */
const OPENCLAW_CLI_TIMEOUT_MS = E2E_AGENT_RUN_TIMEOUT_MS;
/**
 * Alpha's circuit breaker cooldown (delivery.breakerCooldownMs, default 60 s): with the gateway down the
 * circuit opens after three failed attempts, and MESH tries again after this long, by when the restarted
 * gateway is usually past its start-up (see warmUp).
 */
const BREAKER_COOLDOWN_MS = 120_000;

function runMesh(home: string, args: string[], timeoutMs?: number): Promise<CliResult> {
  return runMeshCli([...args, '--home', home], timeoutMs === undefined ? {} : { timeoutMs });
}

async function mustMesh(home: string, args: string[], timeoutMs?: number): Promise<string> {
  const r = await runMesh(home, args, timeoutMs);
  assert.equal(r.code, 0, describeRun(r));
  return r.stdout;
}

function editJson(file: string, edit: (doc: Record<string, unknown>) => void): void {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(doc);
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

const requestTexts = (r: RecordedRequest): string[] => (r.body?.messages ?? []).map(messageText);

describe('MESH and a real OpenClaw gateway over A2A (channels.a2a), both ways', { timeout: E2E_SUITE_TIMEOUT_MS }, () => {
  let tmp = '';
  let model: FakeModel | undefined;
  let gw: OpenClawGateway | undefined;
  let serveAlpha: Serve | undefined;
  let serveBeta: Serve | undefined;
  let openclawEntry = '';
  const homes = { alpha: '', beta: '' };
  const ports = { alpha: 0, beta: 0, gw: 0 };
  /** The `channels.a2a` section of the gateway's openclaw.json, as the README says to write it. */
  let a2aChannel: Record<string, unknown> = {};

  const startGw = async (): Promise<OpenClawGateway> => {
    assert.ok(model);
    return startGateway({ openclawEntry, model, name: 'a2a-gw', port: ports.gw, config: { channels: { a2a: a2aChannel } }, stopGraceMs: 3_000 });
  };
  /**
   * The gateway answers /health before its a2a channel has registered its routes (the card and
   * /a2a/v1 answer 503, then 404, for seconds): a user joins it once the card is served.
   */
  const waitForA2aChannel = (g: OpenClawGateway): Promise<unknown> => waitUntil(async () => {
    try {
      const res = await fetch(`${g.baseUrl}/.well-known/agent-card.json`, { signal: AbortSignal.timeout(HTTP_REQUEST_TIMEOUT_MS) });
      const body = await res.text();
      return res.status === 200 && body.startsWith('{');
    } catch {
      return false;
    }
  }, { timeoutMs: BACKGROUND_WORK_TIMEOUT_MS, what: `the a2a channel's card on gateway ${g.name} (log ${g.logFile})` });
  /**
   * A fresh gateway on a loaded machine can fail its first agent turns ("another OpenClaw process owns
   * state-lifecycle": its own start-up work still holds a state lease), and OpenClaw reports that
   * honestly as a failed task. The test's own peer "warmup" sends blocking SendMessages until one
   * completes, so the scenarios measure MESH, not OpenClaw's start-up.
   */
  const warmUp = async (g: OpenClawGateway, t: { diagnostic(s: string): void }): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(`${g.baseUrl}/a2a/v1`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${WARMUP_TOKEN}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: attempt, method: 'SendMessage', params: { message: { messageId: `warmup-${attempt}-${nonce}`, role: 'ROLE_USER', parts: [{ text: `${WARMUP} #${attempt}` }] } } }),
        signal: AbortSignal.timeout(WARMUP_CALL_TIMEOUT_MS),
      });
      const text = await res.text();
      const state = (JSON.parse(text) as { result?: { task?: { status?: { state?: string } } } }).result?.task?.status?.state;
      if (state === 'TASK_STATE_COMPLETED') return;
      t.diagnostic(`gateway warm-up turn ${attempt} did not complete: ${text.slice(0, 400)}`);
      if (attempt >= WARMUP_ATTEMPTS) throw new Error(`gateway ${g.name} ran no agent turn in ${attempt} tries (log ${g.logFile})`);
    }
  };
  const logs = (): string => `logs: gateway ${gw?.logFile}, alpha ${serveAlpha?.logFile}`;

  before(async (t) => {
    tmp = mkdtempSync(join(tmpdir(), 'mesh-e2e-a2a-'));
    homes.alpha = join(tmp, 'alpha');
    homes.beta = join(tmp, 'beta');
    [ports.alpha, ports.beta, ports.gw] = [await freeLoopbackPort(), await freeLoopbackPort(), await freeLoopbackPort()];

    await mustMesh(homes.alpha, ['init', '--agent', 'alpha', '--port', String(ports.alpha)]);
    await mustMesh(homes.beta, ['init', '--agent', 'beta', '--port', String(ports.beta)]);
    const tokenOf = (home: string, agent: string): string =>
      String((JSON.parse(readFileSync(join(home, 'config', 'agent-registry.json'), 'utf8')) as { agents: Record<string, { token: string }> }).agents[agent]?.token);
    await mustMesh(homes.alpha, ['join', 'beta', '127.0.0.1', String(ports.beta), tokenOf(homes.beta, 'beta'), '--no-probe']);
    await mustMesh(homes.beta, ['join', 'alpha', '127.0.0.1', String(ports.alpha), tokenOf(homes.alpha, 'alpha'), '--no-probe']);

    // alpha: the A2A server on, the gateway admitted as A2A client "gw" (README "MESH and A2A").
    editJson(join(homes.alpha, 'config', 'mesh.json'), (c) => {
      c['a2a'] = { enabled: true };
      c['delivery'] = { ...(c['delivery'] as Record<string, unknown> | undefined), retryDelaysMs: RETRY_DELAYS_MS, breakerCooldownMs: BREAKER_COOLDOWN_MS };
    });
    editJson(join(homes.alpha, 'config', 'agent-registry.json'), (r) => {
      r['a2aClients'] = { gw: { token: ALPHA_TOKEN } };
    });

    openclawEntry = (await installOpenClaw()).entry;
    model = await startFakeModel({ rules: [replyWhen(WARMUP, 'warm'), replyWhen(ASK, GW_ANSWER), replyWhen(RALLY_Q, GW_RALLY_ANSWER), replyWhen(OUTAGE_ASK, OUTAGE_ANSWER)] });
    // The gateway: a peer entry for alpha, with alpha's A2A endpoint for `openclaw message send`.
    a2aChannel = {
      enabled: true,
      peers: {
        alpha: { token: GW_TOKEN, url: `http://127.0.0.1:${ports.alpha}/a2a/v1`, outboundToken: ALPHA_TOKEN },
        warmup: { token: WARMUP_TOKEN },
      },
    };
    gw = await startGw();
    await waitForA2aChannel(gw);
    await warmUp(gw, t);
    t.diagnostic(`gateway up in ${gw.startupMs} ms; log ${gw.logFile}`);

    const answer = join(tmp, 'beta-answer.sh');
    writeFileSync(answer, '#!/bin/sh\necho "beta-counted-1260-rows"\n', { mode: 0o755 });
    serveBeta = await startServe(homes.beta, ports.beta, join(tmp, 'serve-beta.log'), { args: ['--no-api'], env: { MESH_HANDLER: answer } });
    serveAlpha = await startServe(homes.alpha, ports.alpha, join(tmp, 'serve-alpha.log'), { args: ['--no-api'] });
  }, { timeout: SUITE_TIMEOUT_MS });

  after(async () => {
    await stopServe(serveAlpha);
    await stopServe(serveBeta);
    await gw?.stop();
    await model?.stop();
    if (tmp && process.env['MESH_E2E_KEEP'] !== '1') rmSync(tmp, { recursive: true, force: true });
  });

  test('mesh join --a2a reads the gateway\'s Agent Card and makes it an A2A peer', { timeout: SUITE_TIMEOUT_MS }, async () => {
    const joined = JSON.parse(await mustMesh(homes.alpha, ['join', 'gw', '--a2a', `http://127.0.0.1:${ports.gw}`, GW_TOKEN, '--json'])) as Record<string, unknown>;
    assert.equal(joined['transport'], 'a2a');
    assert.equal(joined['endpoint'], `http://127.0.0.1:${ports.gw}/a2a/v1`);
    const peers = await mustMesh(homes.alpha, ['peers', '--json']);
    assert.match(peers, /"name": "gw"/);
    assert.ok(!peers.includes(GW_TOKEN), 'the token is not shown');
  });

  test('mesh request to the gateway returns its agent\'s answer', { timeout: SUITE_TIMEOUT_MS }, async (t) => {
    assert.ok(model && gw);
    const started = performance.now();
    const r = JSON.parse(await mustMesh(homes.alpha, ['request', 'gw', ASK, '--wait', String(WAIT_SECONDS), '--json'], WAIT_RUN_TIMEOUT_MS)) as {
      ok: boolean; request: { id: string }; response: { from: string; body: string; auth: string };
    };
    t.diagnostic(`mesh request → gateway agent → answer in ${Math.round(performance.now() - started)} ms`);
    assert.equal(r.ok, true);
    assert.equal(r.response.from, 'gw');
    assert.equal(r.response.body, GW_ANSWER);
    // It reached the agent through the a2a channel, as sent by the peer "alpha".
    const run = model.chatRequests().find((q) => requestTexts(q).some((s) => s.includes(ASK)));
    assert.ok(run, `the question reached the gateway's model (${logs()})`);
    assert.ok(requestTexts(run).some((s) => s.includes('"alpha"')), 'OpenClaw names the A2A peer alpha as the sender');
  });

  test('openclaw message send --channel a2a reaches alpha\'s inbox; alpha\'s `mesh reply` is the answer OpenClaw\'s task gets', { timeout: SUITE_TIMEOUT_MS }, async (t) => {
    assert.ok(gw);
    const sent = await gw.runCli(['message', 'send', '--channel', 'a2a', '--target', 'alpha', '-m', TO_ALPHA, '--json'], { timeoutMs: OPENCLAW_CLI_TIMEOUT_MS });
    t.diagnostic(`openclaw message send: exit ${sent.code} in ${sent.ms} ms: ${sent.stdout.slice(0, 600)}`);
    assert.equal(sent.code, 0, `${sent.stdout}\n${sent.stderr}`);
    // The request waits in alpha's inbox, from the A2A client "gw".
    const inboxRow = await waitUntil(async () => {
      const inbox = JSON.parse(await mustMesh(homes.alpha, ['inbox', '--json'])) as { messages: Array<{ id: string; from: string; type: string; body: string }> };
      return inbox.messages.find((m) => m.body === TO_ALPHA);
    }, { timeoutMs: BACKGROUND_WORK_TIMEOUT_MS, what: `the OpenClaw message in alpha's inbox (${logs()})` });
    assert.equal(inboxRow.from, 'gw');
    assert.equal(inboxRow.type, 'request');
    // The task id OpenClaw got back names alpha's task.
    const taskId = /"messageId"\s*:\s*"([^"]+)"/.exec(sent.stdout)?.[1];
    assert.ok(taskId, `openclaw printed the task id: ${sent.stdout}`);
    const getTask = async (): Promise<Record<string, unknown>> => {
      const res = await fetch(`http://127.0.0.1:${ports.alpha}/a2a/v1`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ALPHA_TOKEN}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'GetTask', params: { id: taskId } }), signal: AbortSignal.timeout(HTTP_REQUEST_TIMEOUT_MS),
      });
      return (await res.json()) as Record<string, unknown>;
    };
    const before = (await getTask())['result'] as { status: { state: string } };
    assert.notEqual(before.status.state, 'TASK_STATE_COMPLETED', 'not answered before the agent replies');

    await mustMesh(homes.alpha, ['reply', inboxRow.id, ALPHA_ANSWER]);
    const done = (await getTask())['result'] as { status: { state: string }; artifacts: Array<{ parts: Array<{ text?: string }> }> };
    assert.equal(done.status.state, 'TASK_STATE_COMPLETED');
    assert.equal(done.artifacts.flatMap((a) => a.parts.map((p) => p.text)).join('\n'), ALPHA_ANSWER);
  });

  test('a rally to beta (MESH) and the gateway (A2A): both answers join the conversation', { timeout: SUITE_TIMEOUT_MS }, async () => {
    const rally = JSON.parse(await mustMesh(homes.alpha, ['rally', RALLY_Q, '--agents', 'beta,gw', '--wait', String(WAIT_SECONDS), '--json'], WAIT_RUN_TIMEOUT_MS)) as {
      conversationId: string; roundStatus: string;
    };
    assert.equal(rally.roundStatus, 'complete', JSON.stringify(rally));
    const conv = JSON.parse(await mustMesh(homes.alpha, ['conv', 'show', rally.conversationId, '--json'])) as {
      id: string; rounds: Array<{ status: string; responses: Array<{ agent: string; body: string; counted: boolean; auth: string }> }>;
    };
    assert.equal(conv.id, rally.conversationId);
    const answers = conv.rounds.flatMap((r) => r.responses).map((a) => [a.agent, a.body, a.counted]).sort();
    assert.deepEqual(answers, [['beta', 'beta-counted-1260-rows', true], ['gw', GW_RALLY_ANSWER, true]], `${JSON.stringify(conv)} (${logs()})`);
  });

  test('gateway down: a send and a request wait in alpha\'s outbox and reach the gateway\'s agent once it is back', { timeout: SUITE_TIMEOUT_MS }, async (t) => {
    assert.ok(gw && model);
    await gw.stop();
    const note = await runMesh(homes.alpha, ['send', 'gw', 'notification', OUTAGE_NOTE]);
    assert.equal(note.code, 10, `queued after a failed first attempt (exit 10): ${describeRun(note)}`);
    const noteId = note.stdout.trim();
    assert.match(noteId, /^msg_/);
    const pendingRequest = runMesh(homes.alpha, ['request', 'gw', OUTAGE_ASK, '--wait', String(WAIT_SECONDS + 600), '--json'], WAIT_RUN_TIMEOUT_MS + 600_000);
    const queued = await waitUntil(async () => {
      const q = JSON.parse(await mustMesh(homes.alpha, ['queue', 'status', 'gw', '--json'])) as { peers: Array<{ peer: string; pending: number; lastError: string | null }> };
      const row = q.peers.find((p) => p.peer === 'gw');
      return row !== undefined && row.pending >= 2 && row.lastError !== null ? row : undefined;
    }, { timeoutMs: BACKGROUND_WORK_TIMEOUT_MS, what: 'both messages queued for gw after a failed attempt' });
    t.diagnostic(`queued while the gateway is down: ${JSON.stringify(queued)}`);
    assert.equal(model.sawText(OUTAGE_NOTE), false);

    const started = performance.now();
    gw = await startGw();
    // MESH retries on its own schedule; the test's warm-up only races it (see warmUp), and the
    // breaker's cooldown (BREAKER_COOLDOWN_MS) usually lets it win.
    await waitForA2aChannel(gw);
    await warmUp(gw, t);
    const r = await pendingRequest;
    assert.equal(r.code, 0, describeRun(r));
    const answer = JSON.parse(r.stdout) as { response: { from: string; body: string } };
    assert.equal(answer.response.from, 'gw');
    assert.equal(answer.response.body, OUTAGE_ANSWER);
    assert.ok(model.sawText(OUTAGE_ASK), 'the queued request ran on the restarted gateway');
    t.diagnostic(`request answered ${Math.round(performance.now() - started)} ms after the gateway was started again`);
    // The notification arrived in the gateway: OpenClaw's a2a channel took it in from the peer alpha
    // under MESH's message id. (Whether OpenClaw then runs its agent is OpenClaw's business: one run
    // saw it accept such a message, answer 200 with a working task, and never run it.)
    const gwLog = gw.logFile;
    await waitUntil(() => readFileSync(gwLog, 'utf8').includes(`message received: channel=a2a chatId=a2a:alpha messageId=${noteId} `), {
      timeoutMs: BACKGROUND_WORK_TIMEOUT_MS, what: `the notification ${noteId} received by the restarted gateway (${logs()})`,
    });
    const q = JSON.parse(await mustMesh(homes.alpha, ['queue', 'status', 'gw', '--json'])) as { pending: number; deadLetters: number };
    assert.deepEqual([q.pending, q.deadLetters], [0, 0]);
  });
});
