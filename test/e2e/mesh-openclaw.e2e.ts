// MESH between two REAL OpenClaw gateways (openclaw@2026.9.6), both driven by one scripted fake
// model. Sidecar topology: gateway A's agent talks to its node `alpha`, gateway B's agent to `beta`;
// each node runs `mesh serve` and forwards verified messages to its gateway's /hooks/agent.
//
// Set up as the README's "MESH with OpenClaw" section says: init, join, keygen, then
// `mesh openclaw setup --openclaw-config <file>`, and each gateway runs with what setup wrote into
// that file (hooks, token, tools.exec.pathPrepend). The agents' `mesh` is whatever that PATH finds:
// no wrapper of the test's own, no MESH_HOME in the gateway's environment, and no Node 24 on the
// gateway's PATH (see support/openclaw-gateway.ts).
//
// Scenarios: the agent's PATH finds a working `mesh` on its node; a request/answer round trip
// agent→agent; forged and replayed messages never reaching the agent; a gateway outage bridged by
// the hand-off retry; and the direct topology (envelope posted straight to the gateway, the agent
// runs `mesh receive -`).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { messageText, startFakeModel } from './support/fake-model.ts';
import type { FakeModel, FakeModelRule, RecordedRequest } from './support/fake-model.ts';
import { installOpenClaw } from './support/install-openclaw.ts';
import { freeLoopbackPort, postAgentHook, startGateway } from './support/openclaw-gateway.ts';
import type { OpenClawGateway } from './support/openclaw-gateway.ts';
import { waitUntil } from './support/wait.ts';
import { startServe, stopServe, type Serve } from './support/mesh-serve.ts';
import { describeRun, runMesh as runMeshCli, type CliResult } from '../support/mesh-process.ts';
import {
  BACKGROUND_WORK_TIMEOUT_MS, E2E_AGENT_RUN_TIMEOUT_MS, E2E_SUITE_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS, CLI_WAIT_SECONDS, SUITE_TIMEOUT_MS,
} from '../support/timeouts.ts';

const nonce = randomBytes(6).toString('hex');
const ASK_MARKER = `ASK-BETA-${nonce}`;
const QUESTION = `How many replicas are in sync (q-${nonce})?`;
const ANSWER = `three-replicas-in-sync-${nonce}`;
const DIRECT_MARKER = `direct-${nonce}`;
const WHICH_MARKER = `WHICH-MESH-${nonce}`;
const REQUEST_HEADER_RE = /\[MESH\] Verified MESH message from "alpha" to "beta": type "request", id "([^"]+)"/;

/** `mesh <args> --home <home>` through the shared runner (own process group, bounded by CLI_RUN_TIMEOUT_MS). */
function runMesh(home: string, args: string[], input?: string): Promise<CliResult> {
  return runMeshCli([...args, '--home', home], input === undefined ? {} : { input });
}

async function mustMesh(home: string, args: string[], input?: string): Promise<string> {
  const r = await runMesh(home, args, input);
  assert.equal(r.code, 0, describeRun(r));
  return r.stdout;
}

/** A running `mesh serve` child (leader of its own process group) with its log file. */
const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const registryToken = (home: string, agent: string): string =>
  String((JSON.parse(readFileSync(join(home, 'config', 'agent-registry.json'), 'utf8')) as { agents: Record<string, { token: string }> }).agents[agent]?.token);
const requestTexts = (r: RecordedRequest): string[] => (r.body?.messages ?? []).map(messageText);

/** Gateway A: the hook carrying ASK_MARKER makes the agent ask beta through MESH and wait, with a
 *  `yieldMs` above the wait (exec backgrounds commands after 10 s). stderr (status lines) is
 *  dropped, so the tool output is exactly what `mesh request` printed on stdout. */
const askRule: FakeModelRule = (turn) => (turn.userSaid(ASK_MARKER)
  ? { tool: 'exec', arguments: { command: `mesh request beta ${shellQuote(QUESTION)} --wait ${CLI_WAIT_SECONDS} 2>/dev/null`, yieldMs: (CLI_WAIT_SECONDS + 30) * 1000 } }
  : undefined);

/** Either gateway: show which `mesh` the agent's PATH finds, that it runs, and which node it serves. */
const whichRule: FakeModelRule = (turn) => (turn.userSaid(WHICH_MARKER)
  ? { exec: 'command -v mesh; mesh --version && mesh peers --json; echo "node on PATH: $(node --version 2>&1 || echo none)"' }
  : undefined);

/** Gateway B: a verified MESH request from alpha is answered with `mesh reply <id>`. */
const answerRule: FakeModelRule = (turn) => {
  for (const text of turn.userTexts) {
    const m = REQUEST_HEADER_RE.exec(text);
    if (m?.[1]) return { exec: `mesh reply ${m[1]} ${shellQuote(ANSWER)}` };
  }
  return undefined;
};

/** Gateway B, direct topology: the hook text IS the envelope; hand it to `mesh receive -`. */
const receiveRule: FakeModelRule = (turn) => {
  for (const text of turn.userTexts) {
    if (!text.includes(DIRECT_MARKER)) continue;
    const line = text.split('\n').find((l) => l.trimStart().startsWith('{"protocol"'));
    if (line) return { exec: `printf %s ${shellQuote(line.trim())} | mesh receive -` };
  }
  return undefined;
};

describe('MESH between two real OpenClaw gateways (sidecar nodes alpha and beta)', { timeout: E2E_SUITE_TIMEOUT_MS }, () => {
  let tmp = '';
  let model: FakeModel | undefined;
  let gwA: OpenClawGateway | undefined;
  let gwB: OpenClawGateway | undefined;
  let serveA: Serve | undefined;
  let serveB: Serve | undefined;
  const homes = { alpha: '', beta: '' };
  const ports = { alpha: 0, beta: 0 };
  let openclawEntry = '';
  /** tools.exec.pathPrepend of each gateway, as `mesh openclaw setup` wrote it. */
  const pathPrepends: Record<'a' | 'b', string[]> = { a: [], b: [] };

  /**
   * What a user does: `mesh openclaw setup` with the gateway's URL, workspace and openclaw.json,
   * then (re)start the gateway; the gateway runs with the settings setup merged into that file.
   */
  const setupAndStartGateway = async (name: 'a' | 'b', home: string): Promise<OpenClawGateway> => {
    assert.ok(model);
    const port = await freeLoopbackPort();
    const workspaceDir = join(tmp, `workspace-${name}-${port}`);
    const openclawJson = join(tmp, `openclaw-${name}-${port}.json`);
    await mustMesh(home, ['openclaw', 'setup', '--gateway-url', `http://127.0.0.1:${port}`, '--workspace', workspaceDir, '--agents-md', '--openclaw-config', openclawJson]);
    const written = JSON.parse(readFileSync(openclawJson, 'utf8')) as { hooks: { token: string }; tools: { exec: { pathPrepend: string[] } } };
    pathPrepends[name] = written.tools.exec.pathPrepend;
    return startGateway({
      openclawEntry, model, name: `mesh-${name}`, port, workspaceDir,
      hookToken: written.hooks.token, pathPrepend: written.tools.exec.pathPrepend, config: written, stopGraceMs: 3_000,
    });
  };

  /** Posts `{"message": <envelope>}` to beta's serve as alpha. */
  const postToBeta = async (envelopeText: string, token = registryToken(homes.beta, 'beta')): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(`http://127.0.0.1:${ports.beta}/hooks/alpha`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ message: envelopeText }), signal: AbortSignal.timeout(HTTP_REQUEST_TIMEOUT_MS),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  /** A signed envelope from alpha to beta, built by `mesh send --dry-run` (nothing stored or sent). */
  const dryRunEnvelope = async (type: string, body: string): Promise<{ id: string; text: string; envelope: Record<string, unknown> }> => {
    const out = JSON.parse(await mustMesh(homes.alpha, ['send', 'beta', type, body, '--dry-run', '--json'])) as { results: Array<{ id: string; envelope: Record<string, unknown> }> };
    const r = out.results[0];
    assert.ok(r);
    return { id: r.id, text: JSON.stringify(r.envelope), envelope: r.envelope };
  };

  const betaInbox = async (): Promise<Array<{ id: string; from: string; body: string; type: string; correlationId: string | null }>> =>
    (JSON.parse(await mustMesh(homes.beta, ['inbox', '--limit', '0', '--json'])) as { messages: Array<{ id: string; from: string; body: string; type: string; correlationId: string | null }> }).messages;

  before(async (t) => {
    tmp = mkdtempSync(join(tmpdir(), 'mesh-e2e-mesh-'));
    homes.alpha = join(tmp, 'alpha');
    homes.beta = join(tmp, 'beta');
    ports.alpha = await freeLoopbackPort();
    ports.beta = await freeLoopbackPort();

    await mustMesh(homes.alpha, ['init', '--agent', 'alpha', '--port', String(ports.alpha)]);
    await mustMesh(homes.beta, ['init', '--agent', 'beta', '--port', String(ports.beta)]);
    await mustMesh(homes.alpha, ['join', 'beta', '127.0.0.1', String(ports.beta), registryToken(homes.beta, 'beta'), '--no-probe']);
    await mustMesh(homes.beta, ['join', 'alpha', '127.0.0.1', String(ports.alpha), registryToken(homes.alpha, 'alpha'), '--no-probe']);
    await mustMesh(homes.alpha, ['keygen', 'beta', '--enable']);
    const key = await mustMesh(homes.alpha, ['keygen', '--show', 'beta']);
    await mustMesh(homes.beta, ['keygen', '--import', 'alpha', '--enable'], key);

    openclawEntry = (await installOpenClaw()).entry;
    model = await startFakeModel({ rules: [whichRule, askRule, answerRule, receiveRule] });
    [gwA, gwB] = await Promise.all([setupAndStartGateway('a', homes.alpha), setupAndStartGateway('b', homes.beta)]);
    t.diagnostic(`gateways up in ${gwA.startupMs} / ${gwB.startupMs} ms; logs ${gwA.logFile} ${gwB.logFile}`);
    serveA = await startServe(homes.alpha, ports.alpha, join(tmp, 'serve-alpha.log'));
    serveB = await startServe(homes.beta, ports.beta, join(tmp, 'serve-beta.log'));
  }, { timeout: SUITE_TIMEOUT_MS });

  after(async () => {
    await stopServe(serveA);
    await stopServe(serveB);
    await gwA?.stop();
    await gwB?.stop();
    await model?.stop();
    if (tmp && process.env['MESH_E2E_KEEP'] !== '1') rmSync(tmp, { recursive: true, force: true });
  });

  test('the exec PATH setup wrote finds a `mesh` that runs on the agent\'s own node (not the PATH\'s node)', { timeout: SUITE_TIMEOUT_MS }, async (t) => {
    assert.ok(gwA && model);
    const res = await postAgentHook(gwA, { name: 'mesh-e2e', message: `Which mesh do you have? ${WHICH_MARKER}`, deliver: false });
    assert.equal(res.status, 200, res.text);
    const done = await model.waitForRequest((r) => (r.body?.messages ?? []).some((m) => m.role === 'tool' && messageText(m).includes('node on PATH:')));
    const output = (done.body?.messages ?? []).filter((m) => m.role === 'tool').map(messageText).find((s) => s.includes('node on PATH:')) ?? '';
    t.diagnostic(`agent's exec output: ${output.replace(/\s+/g, ' ').slice(0, 400)}`);
    assert.ok(output.includes(join(homes.alpha, 'bin', 'mesh')), `command -v mesh names setup's wrapper (log ${gwA.logFile}):\n${output}`);
    assert.doesNotMatch(output, /command not found|not found/i);
    assert.match(output, /"name": "alpha"/, 'the agent\'s mesh works on node alpha');
    assert.match(output, /"name": "beta"/, 'and lists its peer beta');
    assert.deepEqual(pathPrepends.a, [join(homes.alpha, 'bin')], 'setup points the exec PATH at the node\'s bin folder');
  });

  test('A\'s agent asks beta with `mesh request --wait`; B\'s agent answers with `mesh reply`; A\'s exec prints the answer', { timeout: SUITE_TIMEOUT_MS }, async (t) => {
    assert.ok(gwA && model);
    const started = performance.now();
    const res = await postAgentHook(gwA, { name: 'mesh-e2e', message: `Please ask beta about replicas. ${ASK_MARKER}`, deliver: false });
    assert.equal(res.status, 200, res.text);

    // B's model got the framed request and answered with the id from its header.
    const atB = await model.waitForRequest((r) => r.reply !== undefined && 'exec' in r.reply && r.reply.exec.startsWith('mesh reply '));
    const header = requestTexts(atB).map((s) => REQUEST_HEADER_RE.exec(s)).find((m) => m);
    assert.ok(header?.[1], 'B\'s model saw the [MESH] request header');
    assert.ok(requestTexts(atB).some((s) => s.includes(QUESTION)), 'B\'s model saw the question');
    assert.ok(requestTexts(atB).some((s) => s.includes(`mesh reply ${header[1]}`)), 'the header names the reply command');

    // A's exec (mesh request --wait) printed B's answer, and that tool output reached A's model.
    const atA = await waitUntil(() => model?.chatRequests().find((r) => (r.body?.messages ?? []).some((m) => m.role === 'user' && messageText(m).includes(ASK_MARKER))
      && (r.body?.messages ?? []).some((m) => m.role === 'tool' && messageText(m).includes(ANSWER))), {
      timeoutMs: CLI_WAIT_SECONDS * 1000 + BACKGROUND_WORK_TIMEOUT_MS, what: `A's tool result with the answer (logs ${gwA.logFile}, ${gwB?.logFile})`,
    });
    // stdout carries the answer alone: no status line, no progress.
    const toolOutput = (atA.body?.messages ?? []).filter((m) => m.role === 'tool').map(messageText).find((s) => s.includes(ANSWER));
    assert.equal(toolOutput?.trim(), ANSWER);
    t.diagnostic(`hook → A exec mesh request → beta → B agent mesh reply → A tool result in ${Math.round(performance.now() - started)} ms`);

    const alphaResponses = (JSON.parse(await mustMesh(homes.alpha, ['inbox', '--type', 'response', '--json'])) as { messages: Array<{ from: string; correlationId: string; body: string }> }).messages;
    assert.deepEqual(alphaResponses.map((m) => [m.from, m.correlationId, m.body]), [['beta', header[1], ANSWER]]);
    const req = (await betaInbox()).find((m) => m.id === header[1]);
    assert.equal(req?.body, QUESTION);
  });

  test('forged and replayed messages posted to beta are refused or dropped and never reach B\'s model', { timeout: SUITE_TIMEOUT_MS }, async () => {
    assert.ok(model);
    const forgedMarker = `forged-${nonce}`;
    // Wrong HMAC: a validly signed envelope whose body was changed afterwards.
    const signed = await dryRunEnvelope('notification', `harmless-${nonce}`);
    const tampered = { ...signed.envelope, payload: { ...(signed.envelope['payload'] as Record<string, unknown>), body: `${forgedMarker} rm -rf /` } };
    const bad = await postToBeta(JSON.stringify(tampered));
    assert.equal(bad.status, 403, JSON.stringify(bad.json));
    assert.equal(bad.json['code'], 'signature_invalid');
    // A signature made with another key.
    const otherKey = { ...signed.envelope, id: `msg_${randomUUID()}`, payload: { ...(signed.envelope['payload'] as Record<string, unknown>), body: `${forgedMarker}-2` }, signature: `sha256:${randomBytes(32).toString('base64')}` };
    const bad2 = await postToBeta(JSON.stringify(otherKey));
    assert.equal(bad2.status, 403, JSON.stringify(bad2.json));
    // A valid envelope under a wrong bearer token.
    const badToken = await postToBeta((await dryRunEnvelope('notification', `${forgedMarker}-3`)).text, 'not-the-token');
    assert.equal(badToken.status, 401);

    // A captured valid body, replayed: accepted once, the replay is acknowledged as a duplicate
    // (200, "duplicate": true) and NOT handed to the agent again.
    const replayMarker = `replayed-${nonce}`;
    const captured = await dryRunEnvelope('notification', replayMarker);
    const first = await postToBeta(captured.text);
    assert.equal(first.status, 202, JSON.stringify(first.json));
    const replay = await postToBeta(captured.text);
    assert.ok(replay.status === 200 && replay.json['duplicate'] === true, `replay answered ${replay.status} ${JSON.stringify(replay.json)}`);
    // The same nonce under a new id (a replay that dodges id de-duplication) breaks the signature.
    const renamed = await postToBeta(JSON.stringify({ ...captured.envelope, id: `msg_${randomUUID()}` }));
    assert.ok(renamed.status === 403 || renamed.status === 409, `renamed replay answered ${renamed.status} ${JSON.stringify(renamed.json)}`);

    // Checkpoint: a valid message sent afterwards reached B's model, so the refused ones would have too.
    const checkpoint = `checkpoint-${nonce}`;
    await mustMesh(homes.alpha, ['send', 'beta', 'notification', checkpoint]);
    await waitUntil(() => model?.sawText(checkpoint), { timeoutMs: E2E_AGENT_RUN_TIMEOUT_MS, what: `checkpoint ${checkpoint} at B's model (log ${gwB?.logFile})` });
    assert.equal(model.sawText(forgedMarker), false, 'a forged message reached the model');
    const runsWithReplay = new Set(model.chatRequests().filter((r) => requestTexts(r).some((s) => s.includes(replayMarker))).map((r) => requestTexts(r).find((s) => s.includes('[MESH]') && s.includes(captured.id))));
    assert.equal(runsWithReplay.size, 1, 'the replayed message was handed to the agent once');
    const ids = (await betaInbox()).map((m) => m.id);
    assert.equal(ids.filter((id) => id === captured.id).length, 1);
    assert.ok(!ids.includes(signed.id), 'the tampered envelope was not recorded');
  });

  test('direct topology: an envelope posted straight to gateway B is verified and recorded by `mesh receive -`', { timeout: SUITE_TIMEOUT_MS }, async () => {
    assert.ok(gwB && model);
    const env = await dryRunEnvelope('notification', `${DIRECT_MARKER} hello over the direct topology`);
    const res = await postAgentHook(gwB, { name: 'MESH', message: `MESH message (direct)\n${env.text}`, deliver: false });
    assert.equal(res.status, 200, res.text);
    const row = await waitUntil(async () => (await betaInbox()).find((m) => m.id === env.id), { timeoutMs: E2E_AGENT_RUN_TIMEOUT_MS, what: `${env.id} in beta's inbox (log ${gwB.logFile})` });
    assert.equal(row.from, 'alpha');
    assert.equal(row.body, `${DIRECT_MARKER} hello over the direct topology`);
    // The agent's exec printed the verified message (mesh receive JSON) back to the model.
    await model.waitForRequest((r) => (r.body?.messages ?? []).some((m) => m.role === 'tool' && messageText(m).includes(env.id)));
  });

  test('gateway B down: beta accepts, the hand-off is retried, and the message reaches B\'s restarted gateway', { timeout: SUITE_TIMEOUT_MS }, async (t) => {
    assert.ok(gwB && model);
    await gwB.stop();
    const marker = `outage-${nonce}`;
    const sent = await runMesh(homes.alpha, ['send', 'beta', 'notification', marker]);
    assert.equal(sent.code, 0, `beta's node accepted while its gateway was down: ${sent.stderr}`);
    const id = sent.stdout.trim();
    assert.match(id, /^msg_/);
    await waitUntil(() => readFileSync(serveB?.logFile ?? '', 'utf8').split('\n').some((l) => l.includes('hand-off failed') && l.includes(id)), {
      timeoutMs: BACKGROUND_WORK_TIMEOUT_MS, what: `a failed hand-off of ${id} in ${serveB?.logFile}`,
    });
    const failures = readFileSync(serveB?.logFile ?? '', 'utf8').split('\n').filter((l) => l.includes('hand-off failed') && l.includes(id));
    assert.ok(failures.every((l) => l.includes('"permanent":false')), failures.join('\n'));

    // The harness cannot restart a gateway on its old port, so a new gateway B takes over and beta is
    // set up again for it (new URL and hook token); the pending row keeps its retry schedule.
    const started = performance.now();
    gwB = await setupAndStartGateway('b', homes.beta);
    await stopServe(serveB);
    serveB = await startServe(homes.beta, ports.beta, join(tmp, 'serve-beta.log'));
    // The hand-off retries 1, 5, 15, 60 s, then 300 s after a failure. A replacement gateway that is
    // not up by the 81 s attempt (setup plus a cold start on a loaded machine can take longer) is
    // reached by the next one, about 381 s after the first failure.
    await waitUntil(() => model?.sawText(marker), { timeoutMs: 420_000, what: `${marker} at B's restarted gateway (log ${gwB.logFile})` });
    t.diagnostic(`outage message delivered ${Math.round(performance.now() - started)} ms after the new gateway B was started`);
    assert.ok(model.chatRequests().some((r) => requestTexts(r).some((s) => s.includes(`[MESH] Verified MESH message from "alpha" to "beta": type "notification", id "${id}"`))));
  });
});
