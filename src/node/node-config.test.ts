/** config/mesh.json sections validated in node-config.ts: fleet (+ retention.incidentsDays), sessions, brainSync, store. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isMeshError } from '../protocol/errors.ts';
import { defaultNodeConfig, nodeConfigFromText, parseNodeConfig } from './node-config.ts';

const parse = (doc: unknown, env: NodeJS.ProcessEnv = {}) => nodeConfigFromText(JSON.stringify(doc), 'mesh.json', env);
const refused = (fn: () => unknown, what: RegExp): void => {
  assert.throws(fn, (e) => isMeshError(e) && e.code === 'CONFIG_INVALID' && what.test(e.message));
};
const DEDUP_KEYS = ['dedupWindowMs', 'dedupEscalateAt', 'incidentQuietResolveMs', 'dedupAlerts'] as const;
const PROBE_KEYS = ['probeIntervalMs', 'probeTimeoutMs', 'unreachableAfterFailures', 'latencySamples', 'electionHoldMs', 'announceTtlSeconds', 'hub', 'relay'] as const;
const pick = <T extends object>(o: T, keys: readonly (keyof T)[]): Partial<T> => Object.fromEntries(keys.map((k) => [k, o[k]])) as Partial<T>;
const refusedField = (raw: unknown, field: string): void => {
  assert.throws(() => parseNodeConfig(raw), (e) => isMeshError(e) && e.code === 'CONFIG_INVALID' && e.message.includes(`"${field}"`), JSON.stringify(raw));
};

describe('config/mesh.json: fleet', () => {
  test('fleet defaults: a 30 min window, the 3rd alert escalates, 7 days to quiet, daemon de-duplication off', () => {
    assert.deepEqual(pick(defaultNodeConfig().fleet, DEDUP_KEYS), {
      dedupWindowMs: 1_800_000, dedupEscalateAt: 3, incidentQuietResolveMs: 604_800_000, dedupAlerts: false,
    });
    assert.equal(defaultNodeConfig().retention.incidentsDays, 30);
    assert.deepEqual(parseNodeConfig({}).fleet, defaultNodeConfig().fleet);
  });

  test('fleet keys are read and validated', () => {
    const c = parseNodeConfig({
      fleet: { dedupWindowMs: 600_000, dedupEscalateAt: 2, incidentQuietResolveMs: 86_400_000, dedupAlerts: true },
      retention: { incidentsDays: 90 },
    });
    assert.deepEqual(pick(c.fleet, DEDUP_KEYS), { dedupWindowMs: 600_000, dedupEscalateAt: 2, incidentQuietResolveMs: 86_400_000, dedupAlerts: true });
    assert.equal(c.retention.incidentsDays, 90);
    refusedField({ fleet: { dedupWindowMs: 999 } }, 'fleet.dedupWindowMs');
    refusedField({ fleet: { dedupWindowMs: '30m' } }, 'fleet.dedupWindowMs');
    refusedField({ fleet: { dedupEscalateAt: 1 } }, 'fleet.dedupEscalateAt');
    refusedField({ fleet: { dedupAlerts: 'yes' } }, 'fleet.dedupAlerts');
    refusedField({ fleet: { dedupWindow: 1000 } }, 'fleet.dedupWindow');
    refusedField({ fleet: [] }, 'fleet');
    refusedField({ retention: { incidentsDays: 0 } }, 'retention.incidentsDays');
    refusedField({ fleet: { dedupWindowMs: 7_200_000, incidentQuietResolveMs: 3_600_000 } }, 'fleet.incidentQuietResolveMs');
  });
});

describe('config/mesh.json: fleet health and relay', () => {
  test('fleet settings default to 30 s probes, 5 s time-outs, 3 failures; hub and forwarding from the registry', () => {
    assert.deepEqual(pick(defaultNodeConfig().fleet, PROBE_KEYS), {
      probeIntervalMs: 30_000, probeTimeoutMs: 5_000, unreachableAfterFailures: 3, latencySamples: 20, electionHoldMs: null,
      announceTtlSeconds: 300, hub: null, relay: null,
    });
  });

  test('fleet settings are read and validated', () => {
    const f = parseNodeConfig({ fleet: { probeIntervalMs: 500, probeTimeoutMs: 200, unreachableAfterFailures: 2, electionHoldMs: 0, hub: 'hq', relay: true } }).fleet;
    assert.deepEqual(pick(f, PROBE_KEYS), { probeIntervalMs: 500, probeTimeoutMs: 200, unreachableAfterFailures: 2, latencySamples: 20, electionHoldMs: 0, announceTtlSeconds: 300, hub: 'hq', relay: true });
    const bad = [{ probeIntervalMs: 10 }, { hub: 'no such name!' }, { relay: 'yes' }, { announceTtlSeconds: 10 }, { unreachableAfterFailures: 0 }, { probeEvery: 1 }];
    for (const fleet of bad) {
      assert.throws(() => parseNodeConfig({ fleet }), (e) => isMeshError(e) && e.code === 'CONFIG_INVALID', JSON.stringify(fleet));
    }
  });
});

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

describe('config/mesh.json: store', () => {
  test('commits are fsynced by default; "normal" turns it off', () => {
    assert.equal(defaultNodeConfig().store.synchronous, 'full');
    assert.equal(parse({}).store.synchronous, 'full');
    assert.equal(parse({ store: { synchronous: 'normal' } }).store.synchronous, 'normal');
    assert.equal(parse({ store: { synchronous: 'full' } }).store.synchronous, 'full');
  });

  test('another mode or an unknown key is refused, naming the setting', () => {
    refusedField({ store: { synchronous: 'off' } }, 'store.synchronous');
    refusedField({ store: { synchronous: 2 } }, 'store.synchronous');
    refusedField({ store: { fsync: true } }, 'store.fsync');
  });
});
