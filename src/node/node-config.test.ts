import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isMeshError } from '../protocol/errors.ts';
import { nodeConfigFromText } from './node-config.ts';

const parse = (doc: unknown, env: NodeJS.ProcessEnv = {}) => nodeConfigFromText(JSON.stringify(doc), 'mesh.json', env);
const refused = (fn: () => unknown, what: RegExp): void => {
  assert.throws(fn, (e) => isMeshError(e) && e.code === 'CONFIG_INVALID' && what.test(e.message));
};

describe('config/mesh.json: sessions', () => {
  test('bash defaults, the file, then the bash environment variables', () => {
    assert.deepEqual(nodeConfigFromText(null, 'mesh.json').sessions, { maxMessages: 50, ttlHours: 24 });
    assert.deepEqual(parse({ sessions: { maxMessages: 10, ttlHours: 2 } }).sessions, { maxMessages: 10, ttlHours: 2 });
    assert.deepEqual(parse({ sessions: { maxMessages: 10 } }, { MESH_MAX_SESSION_MESSAGES: '7', MESH_SESSION_TTL_HOURS: ' 48 ' }).sessions, { maxMessages: 7, ttlHours: 48 });
    assert.deepEqual(parse({}, { MESH_MAX_SESSION_MESSAGES: '' }).sessions.maxMessages, 50, 'empty means unset');
  });

  test('out-of-range or malformed values are refused, naming the setting', () => {
    refused(() => parse({ sessions: { maxMessages: 0 } }), /sessions\.maxMessages/);
    refused(() => parse({ sessions: { ttl: 3 } }), /sessions\.ttl/);
    refused(() => parse({}, { MESH_MAX_SESSION_MESSAGES: '5x' }), /MESH_MAX_SESSION_MESSAGES/);
    refused(() => parse({}, { MESH_SESSION_TTL_HOURS: '-1' }), /MESH_SESSION_TTL_HOURS/);
  });
});

describe('config/mesh.json: brainSync', () => {
  test('off by default; url with defaults for the rest', () => {
    assert.equal(nodeConfigFromText(null, 'mesh.json').brainSync, null);
    assert.deepEqual(parse({ brainSync: { url: 'http://127.0.0.1:8900' } }).brainSync, { url: 'http://127.0.0.1:8900', intervalMs: 300_000, token: null, timeoutMs: 10_000 });
    assert.deepEqual(parse({ brainSync: { url: 'https://brain.example/x', intervalMs: 60_000, token: 'abc', timeoutMs: 2000 } }).brainSync,
      { url: 'https://brain.example/x', intervalMs: 60_000, token: 'abc', timeoutMs: 2000 });
  });

  test('a URL with credentials, a query or another scheme is refused; so is a malformed token', () => {
    for (const url of ['ftp://h/', 'http://u:p@h/', 'http://h/?k=v', 'not a url', 42]) refused(() => parse({ brainSync: { url } }), /brainSync\.url/);
    refused(() => parse({ brainSync: { url: 'http://h' } , x: 1 }), /"x"/);
    refused(() => parse({ brainSync: { url: 'http://h', token: 'a b' } }), /brainSync\.token/);
    refused(() => parse({ brainSync: { url: 'http://h', intervalMs: 10 } }), /brainSync\.intervalMs/);
  });
});
