import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOrdered } from './canonical-json.ts';
import { appendRelayMarker, relayMarkerOf } from './relay-marker.ts';

const ENV = '{"protocol":"mesh/1.0","id":"msg_1","from":"alpha","to":"delta","payload":{"body":"x"},"signature":"sha256:abc="}';

test('the marker is appended after the signature, as bash does, leaving every earlier byte as it was', () => {
  const out = appendRelayMarker(ENV, { from: 'alpha', via: 'gamma', originalTo: 'delta' });
  assert.equal(out, `${ENV.slice(0, -1)},"relay":{"from":"alpha","via":"gamma","originalTo":"delta"}}`);
  assert.ok(out.startsWith(ENV.slice(0, -1)));
  assert.deepEqual(relayMarkerOf(parseOrdered(out)), { from: 'alpha', via: 'gamma', originalTo: 'delta' });
});

test('an envelope that already has a relay key is never relayed again (one hop)', () => {
  const once = appendRelayMarker(ENV, { from: 'alpha', via: 'gamma', originalTo: 'delta' });
  assert.throws(() => appendRelayMarker(once, { from: 'alpha', via: 'beta', originalTo: 'delta' }), /already relayed/);
  assert.throws(() => appendRelayMarker('{"relay":"junk","id":"x"}', { from: 'a', via: 'b', originalTo: 'c' }), /already relayed/);
});

test('names must be agent names; the text must be an object', () => {
  assert.throws(() => appendRelayMarker(ENV, { from: 'al"pha', via: 'gamma', originalTo: 'delta' }), /agent names/);
  assert.throws(() => appendRelayMarker('[1]', { from: 'a', via: 'b', originalTo: 'c' }), /not an envelope/);
  assert.throws(() => appendRelayMarker('{}', { from: 'a', via: 'b', originalTo: 'c' }), /not an envelope/);
});

test('relayMarkerOf accepts only three agent names', () => {
  assert.equal(relayMarkerOf(parseOrdered('{"a":1}')), null);
  assert.equal(relayMarkerOf(parseOrdered('{"relay":null}')), null);
  assert.equal(relayMarkerOf(parseOrdered('{"relay":{"from":"a","via":"b"}}')), null);
  assert.equal(relayMarkerOf(parseOrdered('{"relay":{"from":"a","via":"b c","originalTo":"d"}}')), null);
  assert.deepEqual(relayMarkerOf({ relay: { from: 'a', via: 'b', originalTo: 'd' } }), { from: 'a', via: 'b', originalTo: 'd' });
});
