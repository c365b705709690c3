// Smoke test of the end-to-end harness: one real OpenClaw gateway (openclaw@2026.9.6) driven by the
// scripted fake model. A hook message carries a marker line that the fake model turns into an
// `exec` tool call; the gateway runs it, and the command (found through tools.exec.pathPrepend)
// writes a proof file. A hook with a wrong token must be refused and never reach the model.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execAfterMarker, messageText, startFakeModel } from './support/fake-model.ts';
import type { FakeModel } from './support/fake-model.ts';
import { installOpenClaw } from './support/install-openclaw.ts';
import { startGateway } from './support/openclaw-gateway.ts';
import type { OpenClawGateway } from './support/openclaw-gateway.ts';
import { isSameProcessAlive } from '../support/process-group.ts';
import { BACKGROUND_WORK_TIMEOUT_MS, E2E_SUITE_TIMEOUT_MS, SUITE_TIMEOUT_MS } from '../support/timeouts.ts';
import { waitUntil } from './support/wait.ts';

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

const EXEC_MARKER = 'MESH-E2E-EXEC:';
const nonce = randomBytes(6).toString('hex');
const AGENTS_MARKER = `agents-md-marker-${nonce}`;
const SKILL_MARKER = `skill-marker-${nonce}`;

describe('e2e harness: a real OpenClaw gateway with the scripted fake model', { timeout: E2E_SUITE_TIMEOUT_MS }, () => {
  let tmp = '';
  let model: FakeModel | undefined;
  let gw: OpenClawGateway | undefined;

  before(async (t) => {
    tmp = mkdtempSync(join(tmpdir(), 'mesh-e2e-harness-'));
    // A command only reachable through tools.exec.pathPrepend, standing in for the mesh CLI.
    const binDir = join(tmp, 'bin');
    mkdirSync(binDir);
    const probe = join(binDir, 'mesh-e2e-proof');
    writeFileSync(probe, '#!/bin/sh\necho "$1 shell=$OPENCLAW_SHELL"\n');
    chmodSync(probe, 0o755);

    const install = await installOpenClaw();
    t.diagnostic(`openclaw install: ${install.installedNow ? 'cold' : 'cached'} ${install.durationMs} ms`);
    model = await startFakeModel({ rules: [execAfterMarker(EXEC_MARKER)] });
    gw = await startGateway({
      openclawEntry: install.entry,
      model,
      name: 'harness',
      pathPrepend: [binDir],
      agentsMd: `# Test agent\n\nThis workspace belongs to the MESH e2e harness (${AGENTS_MARKER}).\n`,
      skills: {
        'mesh-e2e-probe': `---\nname: mesh-e2e-probe\ndescription: Probe skill of the MESH e2e harness ${SKILL_MARKER}.\n---\n\nRun mesh-e2e-proof when asked.\n`,
      },
      validateConfig: true,
      stopGraceMs: 3_000,
    });
    t.diagnostic(`gateway started in ${gw.startupMs} ms on port ${gw.port}; log ${gw.logFile}`);
  }, { timeout: SUITE_TIMEOUT_MS });

  after(async () => {
    await gw?.stop();
    await model?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('a hook message makes the agent exec a command that writes a file', { timeout: SUITE_TIMEOUT_MS }, async (t) => {
    assert.ok(gw && model);
    const proof = join(tmp, 'proof.txt');
    const started = performance.now();
    const res = await gw.postHook('agent', {
      name: 'mesh-e2e',
      message: `Harness check.\n${EXEC_MARKER} mesh-e2e-proof ok-${nonce} | tee ${proof}`,
      deliver: false,
    });
    assert.equal(res.status, 200, res.text);
    assert.equal((res.json as { ok?: unknown }).ok, true);
    assert.match(String((res.json as { runId?: unknown }).runId), /\S/);

    const content = await waitUntil(() => existsSync(proof) && readFileSync(proof, 'utf8').includes('\n') && readFileSync(proof, 'utf8'), {
      timeoutMs: BACKGROUND_WORK_TIMEOUT_MS, what: `proof file ${proof} (gateway log ${gw.logFile})`,
    });
    assert.equal(content.trim(), `ok-${nonce} shell=exec`);
    // The tool output went back to the model, which closed the turn.
    const followUp = await model.waitForRequest((r) => (r.body?.messages ?? []).some((m) => m.role === 'tool' && JSON.stringify(m.content).includes(`ok-${nonce}`)));
    assert.deepEqual(followUp.reply, { text: `DONE: ok-${nonce} shell=exec` });
    t.diagnostic(`hook → exec → proof file → final turn in ${Math.round(performance.now() - started)} ms`);

    assert.ok(model.sawText(`${EXEC_MARKER} mesh-e2e-proof ok-${nonce}`), 'the model saw the hook text');
    assert.ok(model.sawText(AGENTS_MARKER), 'workspace AGENTS.md reached the system prompt');
    assert.ok(model.sawText(SKILL_MARKER), 'the workspace skill is listed to the model');
    const mem = gw.memory();
    if (mem) t.diagnostic(`gateway RSS ${Math.round(mem.rssKb / 1024)} MiB, peak ${Math.round(mem.peakRssKb / 1024)} MiB, process tree ${Math.round(mem.treeRssKb / 1024)} MiB`);
  });

  test('a wrong hook token gets 401 and never reaches the model', { timeout: SUITE_TIMEOUT_MS }, async () => {
    assert.ok(gw && model);
    const forged = `forged-${nonce}`;
    const bad = await gw.postHook('agent', { message: `${EXEC_MARKER} echo ${forged}` }, { token: 'not-the-hook-token' });
    assert.equal(bad.status, 401);
    assert.equal(bad.text, 'Unauthorized');
    const none = await gw.postHook('agent', { message: `${EXEC_MARKER} echo ${forged}` }, { token: null });
    assert.equal(none.status, 401);

    // A valid hook sent afterwards is a barrier: once the model has seen it, the refused ones
    // would have arrived earlier if they had been let through.
    const barrier = `barrier-${nonce}`;
    const ok = await gw.postHook('agent', { message: `Just say hi. ${barrier}`, deliver: false });
    assert.equal(ok.status, 200, ok.text);
    await model.waitForRequest((r) => (r.body?.messages ?? []).some((m) => JSON.stringify(m.content).includes(barrier)));
    assert.equal(model.sawText(forged), false);
  });

  test('stop() during an active run kills the gateway, its workers and exec\'d commands', { timeout: SUITE_TIMEOUT_MS }, async () => {
    assert.ok(gw);
    const gateway = gw;
    // A command still running when the gateway is stopped: OpenClaw runs it in a process group of
    // its own under its spawn broker, so killing the gateway's group alone would not reach it.
    const res = await gateway.postHook('agent', { message: `${EXEC_MARKER} sleep 300; echo slept-${nonce}`, deliver: false });
    assert.equal(res.status, 200, res.text);
    const sleeper = await waitUntil(() => gateway.processes().find((p) => readCmdline(p.pid) === 'sleep\u0000300\u0000'), {
      timeoutMs: BACKGROUND_WORK_TIMEOUT_MS, what: 'the exec\'d sleep 300 in the gateway process tree',
    });
    const tree = gateway.processes();
    assert.ok(tree.length >= 3, `gateway, workers and the command: ${tree.map((p) => p.pid).join(' ')}`);
    assert.ok(tree.some((p) => p.pid === gateway.pid));
    assert.notEqual(sleeper.pgid, gateway.pid, 'the exec\'d command is outside the gateway\'s process group');

    await gateway.stop();
    assert.deepEqual(tree.filter(isSameProcessAlive).map((p) => p.pid), []);
    assert.equal(existsSync(gateway.stateDir), process.env['MESH_E2E_KEEP'] === '1');
    const toolOutputs = (model?.chatRequests() ?? []).flatMap((r) => (r.body?.messages ?? []).filter((m) => m.role === 'tool').map(messageText));
    assert.ok(!toolOutputs.some((t) => t.includes(`slept-${nonce}`)), 'the command never finished');
  });
});
