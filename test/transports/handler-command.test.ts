import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HandOff } from '../../src/ports/agent-delivery.ts';
import { buildEnvelope } from '../../src/protocol/envelope.ts';
import { createHandlerCommandDelivery, type HandlerCommandOptions } from '../../src/transports/handler/handler-command.ts';

let dir: string;

function script(name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/bash\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

function handOff(body = 'hello $(touch PWNED) `id` \'"; rm -rf /', overrides: { type?: 'request' | 'notification' | 'alert' } = {}): HandOff {
  const envelope = buildEnvelope({
    id: 'msg_11111111-2222-4333-8444-555555555555',
    timestamp: '2026-01-01T00:00:00.000Z',
    from: 'alpha',
    to: 'beta',
    type: overrides.type ?? 'request',
    nonce: '0123456789abcdef0123456789abcdef',
    body: '{"enc":"aes-256-gcm","data":"cipher"}',
    subject: 'subject line',
    correlationId: 'msg_corr',
    conversationId: 'conv_1_abcdef01',
    replyTo: { url: 'http://127.0.0.1:1/hooks/beta', token: 'REPLY-TOKEN-SECRET' },
  });
  return { envelope, envelopeText: JSON.stringify(envelope), body, sessionKey: null };
}

const run = (command: string[], extra: Partial<HandlerCommandOptions> = {}) =>
  createHandlerCommandDelivery({ command, env: { PATH: process.env['PATH'], OUT: dir }, cwd: dir, ...extra });

/** Waits (bounded, 30 s: a loaded machine can be slow to reap) until `pid` no longer exists. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 1_500; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

describe('handler command delivery', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mesh-handler-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('stdin gets the agent view of the envelope, env gets plain values, stdout is the reply', async () => {
    const cmd = script(
      'echo.sh',
      'cat > "$OUT/stdin.json"\nprintf "%s|%s|%s|%s|%s" "$MESH_ID" "$MESH_FROM" "$MESH_TYPE" "$MESH_CORRELATION_ID" "$1" > "$OUT/env.txt"\necho "  the answer  "',
    );
    const r = await run([cmd, 'arg with spaces']).deliver(handOff());
    assert.deepEqual(r, { ok: true, reply: 'the answer' });
    const stdin = readFileSync(join(dir, 'stdin.json'), 'utf8');
    const parsed = JSON.parse(stdin) as { payload: { body: string }; replyTo: unknown; id: string };
    assert.equal(parsed.payload.body, handOff().body);
    assert.equal(parsed.id, 'msg_11111111-2222-4333-8444-555555555555');
    assert.deepEqual(parsed.replyTo, { url: 'http://127.0.0.1:1/hooks/beta' });
    assert.ok(!stdin.includes('REPLY-TOKEN-SECRET'));
    assert.equal(
      readFileSync(join(dir, 'env.txt'), 'utf8'),
      'msg_11111111-2222-4333-8444-555555555555|alpha|request|msg_corr|arg with spaces',
    );
    // Message text was data, never code.
    assert.equal(existsSync(join(dir, 'PWNED')), false);
  });

  test('an alert de-duplicated by the daemon: its decision and incident come as MESH_ALERT_DECISION and MESH_INCIDENT_ID', async () => {
    const cmd = script('alert.sh', 'cat >/dev/null\nprintf "%s|%s" "$MESH_ALERT_DECISION" "$MESH_INCIDENT_ID" > "$OUT/alert.txt"');
    const withAlert = { ...handOff('gateway down', { type: 'alert' }), alert: { decision: 'escalate' as const, incidentId: 'inc_20260101_beta_gateway_0a1b2c3d' } };
    assert.deepEqual(await run([cmd]).deliver(withAlert), { ok: true, reply: null });
    assert.equal(readFileSync(join(dir, 'alert.txt'), 'utf8'), 'escalate|inc_20260101_beta_gateway_0a1b2c3d');
    // Set (empty) for every other message, so a value from the daemon's own environment never leaks through.
    const leaky = createHandlerCommandDelivery({ command: [cmd], env: { PATH: process.env['PATH'], OUT: dir, MESH_ALERT_DECISION: 'new' }, cwd: dir });
    await leaky.deliver(handOff('x', { type: 'notification' }));
    assert.equal(readFileSync(join(dir, 'alert.txt'), 'utf8'), '|');
  });

  test('JSON stdout with a string body: the reply is that body', async () => {
    const cmd = script('json.sh', 'cat >/dev/null\necho \'{"body":"structured answer","extra":1}\'');
    assert.deepEqual(await run([cmd]).deliver(handOff()), { ok: true, reply: 'structured answer' });
  });

  test('empty stdout is a null reply; a notification needs none', async () => {
    const cmd = script('quiet.sh', 'cat >/dev/null\nexit 0');
    assert.deepEqual(await run([cmd]).deliver(handOff('x', { type: 'notification' })), { ok: true, reply: null });
  });

  test('a handler that ignores a large stdin still succeeds', async () => {
    const cmd = script('ignore.sh', 'echo ok');
    assert.deepEqual(await run([cmd]).deliver(handOff('b'.repeat(2_000_000))), { ok: true, reply: 'ok' });
  });

  test('non-zero exit is transient; 64–78 are permanent', async () => {
    const cmd = script('code.sh', 'cat >/dev/null\nexit "$1"');
    const transient = await run([cmd, '3']).deliver(handOff());
    assert.deepEqual(transient, { ok: false, transient: true, error: 'handler exited with code 3', retryAfterMs: null });
    for (const code of ['64', '78']) {
      const r = await run([cmd, code]).deliver(handOff());
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.transient, false, code);
    }
    const r79 = await run([cmd, '79']).deliver(handOff());
    assert.equal(!r79.ok && r79.transient, true);
  });

  test('timeout kills the whole process group and is transient', async () => {
    const cmd = script('hang.sh', 'sleep 30 &\necho $! > "$OUT/child.pid"\nsleep 30');
    const started = Date.now();
    const r = await run([cmd], { timeoutMs: 300, killGraceMs: 200 }).deliver(handOff());
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.transient, true);
    assert.match(!r.ok ? r.error : '', /timed out after 300 ms/);
    assert.ok(Date.now() - started < 30_000, 'ended by the time-out, not by the script');
    const childPid = Number(readFileSync(join(dir, 'child.pid'), 'utf8'));
    assert.ok(childPid > 0);
    assert.equal(await gone(childPid), true, 'background child was killed with the group');
  });

  test('a handler ignoring SIGTERM is killed after the grace period', async () => {
    const cmd = script('stubborn.sh', 'trap "" TERM\necho $$ > "$OUT/stubborn.pid"\nwhile true; do sleep 0.05; done');
    const r = await run([cmd], { timeoutMs: 200, killGraceMs: 200 }).deliver(handOff());
    assert.equal(!r.ok && r.transient, true);
    assert.equal(await gone(Number(readFileSync(join(dir, 'stubborn.pid'), 'utf8'))), true);
  });

  test('oversized stdout is a permanent failure, and memory stays bounded', async () => {
    const cmd = script('flood.sh', 'cat >/dev/null\nhead -c 300000 /dev/zero | tr "\\0" a');
    const r = await run([cmd], { maxOutputBytes: 100_000 }).deliver(handOff());
    assert.deepEqual(r, { ok: false, transient: false, error: 'handler output exceeds 100000 bytes', retryAfterMs: null });
  });

  test('a missing or non-executable command is permanent', async () => {
    const missing = await run([join(dir, 'does-not-exist')]).deliver(handOff());
    assert.equal(missing.ok, false);
    assert.equal(!missing.ok && missing.transient, false);
    const p = join(dir, 'not-exec.sh');
    writeFileSync(p, '#!/bin/bash\necho hi\n');
    chmodSync(p, 0o644);
    const notExec = await run([p]).deliver(handOff());
    assert.equal(!notExec.ok && notExec.transient, false);
  });

  test('an empty command is a configuration error', () => {
    assert.throws(() => createHandlerCommandDelivery({ command: [] }), { code: 'CONFIG_INVALID' });
  });
});
