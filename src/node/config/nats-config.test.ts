/** config/mesh.json `nats` (nats-config.ts) and the URL rule it shares with brainSync and a2a (config-urls.ts). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isMeshError } from '../../protocol/errors.ts';
import { parseNodeConfig } from '../node-config.ts';
import { isNatsServerUrl, isPlainHttpUrl } from './config-urls.ts';

const refused = (nats: unknown, field: string): void => {
  assert.throws(() => parseNodeConfig({ nats }), (e) => isMeshError(e) && e.code === 'CONFIG_INVALID' && e.message.includes(`"${field}"`), JSON.stringify(nats));
};
const SERVERS = ['nats://127.0.0.1:4222'];

describe('config-urls', () => {
  test('NATS server URLs: nats:// or tls://, a host, a port; no credentials, path, query or fragment', () => {
    for (const ok of ['nats://127.0.0.1:4222', 'tls://n1.example:4222', 'nats://[::1]:4222/', 'nats://n1']) assert.ok(isNatsServerUrl(ok), ok);
    for (const bad of ['nats://u:p@n1:4222', 'nats://tok@n1:4222', 'http://n1:4222', 'nats://n1:4222/x', 'nats://n1?x=1', 'nats://n1#f', 'n1:4222', '']) {
      assert.ok(!isNatsServerUrl(bad), bad);
    }
  });
  test('plain http(s) URLs: no credentials, query or fragment; a path is fine', () => {
    for (const ok of ['http://127.0.0.1:8080', 'https://brain.example/api/v1']) assert.ok(isPlainHttpUrl(ok), ok);
    for (const bad of ['https://u:p@b.example', 'https://b.example/?token=x', 'https://b.example/#x', 'nats://b', 'ftp://b', 'b.example']) {
      assert.ok(!isPlainHttpUrl(bad), bad);
    }
  });
});

describe('config/mesh.json: nats', () => {
  test('absent or null: no NATS; the defaults otherwise', () => {
    assert.equal(parseNodeConfig({}).nats, null);
    assert.equal(parseNodeConfig({ nats: null }).nats, null);
    assert.deepEqual(parseNodeConfig({ nats: { servers: SERVERS } }).nats, {
      servers: SERVERS, fleet: 'mesh', credsFile: null, nkeySeedFile: null, tokenFile: null, tls: null, receive: true, replicas: 1,
      maxAgeMs: 604_800_000, receiptMaxAgeMs: 3_600_000, ackWaitMs: 30_000, receiptTimeoutMs: 5_000,
    });
  });
  test('secret files and TLS files are paths as written (resolved against the home folder later)', () => {
    const c = parseNodeConfig({
      nats: { servers: SERVERS, nkeySeedFile: 'config/nats.nk', credsFile: '/etc/mesh/a.creds', tls: { caFile: 'ca.pem', certFile: 'c.pem', keyFile: 'c.key' } },
    }).nats;
    assert.equal(c?.nkeySeedFile, 'config/nats.nk');
    assert.equal(c?.credsFile, '/etc/mesh/a.creds');
    assert.deepEqual(c?.tls, { caFile: 'ca.pem', certFile: 'c.pem', keyFile: 'c.key' });
  });
  test('wrong values are refused with the key path', () => {
    refused('nats://127.0.0.1', 'nats');
    refused({ servers: SERVERS, secret: 'x' }, 'nats.secret');
    refused({ servers: [] }, 'nats.servers');
    refused({ servers: ['nats://user:pw@127.0.0.1:4222'] }, 'nats.servers');
    refused({ servers: SERVERS, fleet: 'a.b' }, 'nats.fleet');
    refused({ servers: SERVERS, tokenFile: '' }, 'nats.tokenFile');
    refused({ servers: SERVERS, nkeySeedFile: 'a\0b' }, 'nats.nkeySeedFile');
    refused({ servers: SERVERS, credsFile: 7 }, 'nats.credsFile');
    refused({ servers: SERVERS, tls: { caFile: 'ca.pem', password: 'x' } }, 'nats.tls.password');
    refused({ servers: SERVERS, tls: { certFile: 'c.pem' } }, 'nats.tls');
    refused({ servers: SERVERS, tls: { keyFile: 7 } }, 'nats.tls.keyFile');
    refused({ servers: SERVERS, replicas: 0 }, 'nats.replicas');
    refused({ servers: SERVERS, receive: 'yes' }, 'nats.receive');
  });
});
