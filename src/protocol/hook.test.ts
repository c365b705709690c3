// Tests for the OpenClaw hook wrapper and URL conventions (bash-mesh-behavior.md §2.7, §14 A).
// Expected bodies were produced with jq 1.6: `jq -cn --arg m "$ENV" '{message:$m}'` (+ sessionKey).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hookPathFor, sessionKeyOf, stripAgentPrefix, unwrapHookBody, wrapForHook } from './hook.ts';
import { isMeshError } from './errors.ts';
import type { JsonValue } from './json.ts';

const ENVELOPE_423 =
  '{"protocol":"mesh/1.0","id":"msg_00000000-0000-4000-8000-000000000000","timestamp":"2026-01-01T00:00:00.000Z",' +
  '"from":"alpha","to":"beta","type":"notification","correlationId":null,"conversationId":null,"replyTo":null,' +
  '"replyContext":null,"session":null,"priority":"normal","ttl":300,"idempotencyKey":null,' +
  '"nonce":"0123456789abcdef0123456789abcdef","payload":{"subject":"Hello","body":"Hello","attachments":[],"metadata":{}}}';
/** The envelope as a JSON string literal (it contains no backslashes or controls, only quotes to escape). */
const QUOTED_ENVELOPE = `"${ENVELOPE_423.replaceAll('"', '\\"')}"`;

function assertMeshError(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => isMeshError(e) && e.code === code);
}

describe('stripAgentPrefix', () => {
  test('removes one leading agent:<id>: prefix', () => {
    assert.equal(stripAgentPrefix('agent:main:slack:thread:1'), 'slack:thread:1');
    assert.equal(stripAgentPrefix('agent:a:agent:b:c'), 'agent:b:c');
    assert.equal(stripAgentPrefix('agent:main:'), '');
  });

  test('leaves other keys alone', () => {
    for (const k of ['slack:thread:1', 'hook:x', 'agent:main', 'agent::x', 'xagent:main:y', '']) {
      assert.equal(stripAgentPrefix(k), k);
    }
  });
});

describe('sessionKeyOf and hookPathFor', () => {
  test('sessionKey is read from Map or plain-object replyContext, only as a non-empty string', () => {
    assert.equal(sessionKeyOf(new Map([['sessionKey', 'agent:main:x']])), 'agent:main:x');
    assert.equal(sessionKeyOf({ sessionKey: 'k', other: 1 }), 'k');
    for (const rc of [undefined, null, 'sessionKey', 5, [], { sessionKey: '' }, { sessionKey: 7 }, new Map([['x', 'y']])]) {
      assert.equal(sessionKeyOf(rc as JsonValue | undefined), null);
    }
  });

  test('path names the sender, or /hooks/agent when replyContext carries a sessionKey', () => {
    assert.equal(hookPathFor('alpha', null), '/hooks/alpha');
    assert.equal(hookPathFor('alpha', undefined), '/hooks/alpha');
    assert.equal(hookPathFor('alpha', { conversationId: 'c' }), '/hooks/alpha');
    assert.equal(hookPathFor('alpha', { sessionKey: 'agent:main:x' }), '/hooks/agent');
    assert.equal(hookPathFor('alpha', new Map([['sessionKey', 's']]), '/gw/hooks'), '/gw/hooks/agent');
    assert.equal(hookPathFor('alpha', null, '/gw/hooks'), '/gw/hooks/alpha');
  });
});

describe('wrapForHook', () => {
  test('body is {"message":<envelope text>} exactly as jq -c builds it', () => {
    assert.equal(wrapForHook(ENVELOPE_423), `{"message":${QUOTED_ENVELOPE}}`);
    assert.equal(wrapForHook(ENVELOPE_423, null), `{"message":${QUOTED_ENVELOPE}}`);
  });

  test('sessionKey comes second, with the agent:<id>: prefix stripped', () => {
    assert.equal(wrapForHook(ENVELOPE_423, 'agent:main:slack:thread:1'), `{"message":${QUOTED_ENVELOPE},"sessionKey":"slack:thread:1"}`);
    assert.equal(wrapForHook('{}', 'hook:x'), '{"message":"{}","sessionKey":"hook:x"}');
  });

  test('escapes the envelope text like jq (DEL, backslash escapes; non-ASCII raw)', () => {
    // jq -cn --arg m '{"b":"é<DEL>\n😀"}' '{message:$m}'
    assert.equal(wrapForHook('{"b":"é\u007f\\n😀"}'), '{"message":"{\\"b\\":\\"é\\u007f\\\\n😀\\"}"}');
  });
});

describe('unwrapHookBody', () => {
  test('message as a JSON string: text kept verbatim, envelope parsed in order', () => {
    const u = unwrapHookBody(wrapForHook(ENVELOPE_423, 'agent:main:s'));
    assert.equal(u.envelopeText, ENVELOPE_423);
    assert.equal(u.sessionKey, 's');
    assert.ok(u.envelope instanceof Map);
    assert.deepEqual([...u.envelope.keys()].slice(0, 3), ['protocol', 'id', 'timestamp']);
  });

  test('message as an object: envelopeText is its jq-canonical form (key order kept)', () => {
    const u = unwrapHookBody('{ "message" : {"b":1, "2":2, "n":1.0, "x":"\\u00e9"} }');
    assert.equal(u.envelopeText, '{"b":1,"2":2,"n":1,"x":"é"}');
    assert.equal(u.sessionKey, null);
    assert.ok(u.envelope instanceof Map);
  });

  test('no sessionKey, or a non-string one, gives null', () => {
    assert.equal(unwrapHookBody('{"message":"{}"}').sessionKey, null);
    assert.equal(unwrapHookBody('{"message":"{}","sessionKey":5}').sessionKey, null);
  });

  test('invalid JSON in the body or in the message string is InvalidJson', () => {
    assertMeshError(() => unwrapHookBody('{"message":'), 'INVALID_JSON');
    assertMeshError(() => unwrapHookBody('{"message":"{not json"}'), 'INVALID_JSON');
    assertMeshError(() => unwrapHookBody('{"message":"\\"\\\\ud800\\""}'), 'INVALID_JSON');
  });

  test('a body without a usable message is InvalidEnvelope', () => {
    for (const body of ['{}', '{"msg":"{}"}', '{"message":5}', '{"message":null}', '{"message":[1]}', '[]', '"x"']) {
      assertMeshError(() => unwrapHookBody(body), 'INVALID_ENVELOPE');
    }
  });
});
