import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMeshError } from '../protocol/errors.ts';
import { generateIdentity, signEnvelopeEd25519, verifyEnvelopeEd25519 } from './ed25519.ts';
import {
  ensureIdentity, ensureKeyDirs, FileKeyStore, generateEncryptionKey, generateSigningKey, importEncryptionKey,
  importSigningKey, keyStatus, readIdentity,
} from './key-files.ts';
import { encryptionKeyPath, identityPaths, signingKeyPath } from './key-paths.ts';
import { attachSignature } from './signature-format.ts';
import { testEnvelope } from './test-envelopes.ts';

const mode = (p: string): number => statSync(p).mode & 0o777;
const code = (c: string) => (e: unknown): boolean => isMeshError(e) && e.code === c;
const bytes = (fill: number) => (n: number): Buffer => Buffer.alloc(n, fill);

let home = '';
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'mesh-keys-'));
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

describe('key files', () => {
  test('signing key: 64 lowercase hex, no newline, file 0600, folder 0700', () => {
    const { path, replaced } = generateSigningKey(home, 'beta', { random: bytes(0xab) });
    assert.equal(path, join(home, 'config', 'signing-keys', 'beta.key'));
    assert.equal(replaced, false);
    assert.equal(readFileSync(path, 'utf8'), 'ab'.repeat(32));
    assert.equal(mode(path), 0o600);
    assert.equal(mode(join(home, 'config', 'signing-keys')), 0o700);
    assert.match(readFileSync(generateSigningKey(home, 'gamma').path, 'utf8'), /^[0-9a-f]{64}$/);
  });

  test('encryption keys: peer and fleet, 64 hex + newline, 0600 in a 0700 folder', () => {
    const peer = generateEncryptionKey(home, 'beta', { random: bytes(0x01) });
    const fleet = generateEncryptionKey(home, 'fleet');
    assert.equal(readFileSync(peer.path, 'utf8'), `${'01'.repeat(32)}\n`);
    assert.match(readFileSync(fleet.path, 'utf8'), /^[0-9a-f]{64}\n$/);
    assert.equal(fleet.path, join(home, 'config', 'encryption-keys', 'fleet.key'));
    for (const p of [peer.path, fleet.path]) assert.equal(mode(p), 0o600);
    assert.equal(mode(join(home, 'config', 'encryption-keys')), 0o700);
  });

  test('an existing key is kept unless forced; no temporary files are left behind', () => {
    const { path } = generateSigningKey(home, 'beta', { random: bytes(1) });
    assert.throws(() => generateSigningKey(home, 'beta', { random: bytes(2) }), (e) =>
      code('ALREADY_EXISTS')(e) && !(e as Error).message.includes('0202') && !(e as Error).message.includes('0101'));
    assert.equal(readFileSync(path, 'utf8'), '01'.repeat(32));
    assert.deepEqual(generateSigningKey(home, 'beta', { random: bytes(2), force: true }), { path, replaced: true });
    assert.equal(readFileSync(path, 'utf8'), '02'.repeat(32));
    assert.equal(mode(path), 0o600);
    assert.throws(() => generateEncryptionKey(home, 'fleet', {}) && generateEncryptionKey(home, 'fleet'), code('ALREADY_EXISTS'));
    assert.deepEqual(readdirSync(join(home, 'config', 'signing-keys')), ['beta.key']);
    assert.deepEqual(readdirSync(join(home, 'config', 'encryption-keys')), ['fleet.key']);
  });

  test('names are validated before they touch a path; fleet only for encryption keys', () => {
    for (const bad of ['../evil', 'a/b', '..', '', 'all', 'x'.repeat(65), 'a.b', 'fleet']) {
      assert.throws(() => generateSigningKey(home, bad), code('INVALID_NAME'), bad);
      assert.throws(() => signingKeyPath(home, bad), code('INVALID_NAME'));
      assert.throws(() => new FileKeyStore(home).signingKey(bad), code('INVALID_NAME'));
      assert.throws(() => new FileKeyStore(home).encryptionKey(bad), code('INVALID_NAME'));
    }
    for (const bad of ['../evil', 'a/b', 'all']) assert.throws(() => generateEncryptionKey(home, bad), code('INVALID_NAME'));
    assert.deepEqual(readdirSync(home), []);
    assert.ok(generateSigningKey(home, 'worker-a').path.endsWith('worker-a.key'));
  });

  test('existing key folders with loose permissions are tightened to 0700', () => {
    mkdirSync(join(home, 'config', 'encryption-keys'), { recursive: true, mode: 0o755 });
    chmodSync(join(home, 'config', 'encryption-keys'), 0o755);
    ensureKeyDirs(home);
    assert.equal(mode(join(home, 'config', 'encryption-keys')), 0o700);
    assert.equal(mode(join(home, 'config', 'signing-keys')), 0o700);
  });

  test('imported keys: whitespace stripped, stored in the bash format, bad keys refused without echo', () => {
    const key = 'c0ffee'.repeat(10) + 'abcd';
    const s = importSigningKey(home, 'beta', ` ${key}\n`);
    assert.equal(readFileSync(s.path, 'utf8'), key);
    const e = importEncryptionKey(home, 'fleet', key);
    assert.equal(readFileSync(e.path, 'utf8'), `${key}\n`);
    assert.equal(mode(s.path), 0o600);
    assert.throws(() => importSigningKey(home, 'gamma', 'short-secret'), (err) =>
      code('KEY_INVALID')(err) && !(err as Error).message.includes('short-secret'));
    assert.throws(() => importSigningKey(home, 'beta', key), code('ALREADY_EXISTS'));
  });
});

describe('FileKeyStore', () => {
  test('reads keys whitespace-stripped; null when missing; encryption falls back to fleet.key', () => {
    const store = new FileKeyStore(home);
    assert.equal(store.signingKey('beta'), null);
    assert.equal(store.encryptionKey('beta'), null);
    assert.equal(store.identity(), null);
    generateSigningKey(home, 'beta', { random: bytes(0xcd) });
    assert.equal(store.signingKey('beta'), 'cd'.repeat(32));
    generateEncryptionKey(home, 'fleet', { random: bytes(0xee) });
    assert.equal(store.encryptionKey('beta'), 'ee'.repeat(32));
    generateEncryptionKey(home, 'beta', { random: bytes(0x11) });
    assert.equal(store.encryptionKey('beta'), '11'.repeat(32));
    assert.equal(store.encryptionKey('gamma'), 'ee'.repeat(32));
  });

  test('bash-written files (CRLF, spaces) and broken files', () => {
    const store = new FileKeyStore(home);
    ensureKeyDirs(home);
    writeFileSync(signingKeyPath(home, 'beta'), ` ${'ab'.repeat(32)}\r\n`);
    assert.equal(store.signingKey('beta'), 'ab'.repeat(32));
    writeFileSync(signingKeyPath(home, 'empty'), '\n');
    assert.throws(() => store.signingKey('empty'), code('KEY_INVALID'));
    mkdirSync(signingKeyPath(home, 'dir'));
    assert.throws(() => store.signingKey('dir'), code('KEY_INVALID'));
    writeFileSync(encryptionKeyPath(home, 'huge'), 'a'.repeat(20_000));
    assert.throws(() => store.encryptionKey('huge'), code('KEY_INVALID'));
  });

  test('a key is read once per turn: another writer\'s rotation or removal applies from the next turn', async () => {
    const store = new FileKeyStore(home);
    ensureKeyDirs(home);
    const path = signingKeyPath(home, 'rotating');
    writeFileSync(path, 'aa'.repeat(32));
    assert.equal(store.signingKey('rotating'), 'aa'.repeat(32));
    writeFileSync(path, 'bb'.repeat(32));
    assert.equal(store.signingKey('rotating'), 'aa'.repeat(32), 'same turn: the key read a moment ago');
    await new Promise((r) => setImmediate(r));
    assert.equal(store.signingKey('rotating'), 'bb'.repeat(32));
    rmSync(path);
    await new Promise((r) => setImmediate(r));
    assert.equal(store.signingKey('rotating'), null);
  });
});

describe('identity', () => {
  test('ensureIdentity creates it once (0600 private, 0644 public) and then returns the same one', () => {
    const first = ensureIdentity(home);
    assert.equal(first.created, true);
    assert.equal(mode(first.privateKeyPath), 0o600);
    assert.equal(mode(first.publicKeyPath), 0o644);
    assert.equal(readFileSync(first.publicKeyPath, 'utf8'), `${first.identity.publicKey}\n`);
    const again = ensureIdentity(home);
    assert.equal(again.created, false);
    assert.deepEqual(again.identity, first.identity);
    assert.deepEqual(new FileKeyStore(home).identity(), first.identity);
    const env = testEnvelope();
    const signed = attachSignature(env, signEnvelopeEd25519(env, first.identity.privateKey));
    assert.equal(verifyEnvelopeEd25519(signed, readFileSync(first.publicKeyPath, 'utf8').trim()), true);
  });

  test('config/ is created private when missing, an existing one is left as it is', () => {
    ensureIdentity(home);
    assert.equal(mode(join(home, 'config')), 0o700);
    const other = mkdtempSync(join(tmpdir(), 'mesh-keys-'));
    try {
      mkdirSync(join(other, 'config'));
      chmodSync(join(other, 'config'), 0o750);
      ensureIdentity(other);
      assert.equal(mode(join(other, 'config')), 0o750);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  test('deterministic with an injected random source', () => {
    const seed = bytes(7);
    assert.deepEqual(ensureIdentity(home, { random: seed }).identity, generateIdentity(seed));
  });

  test('a missing or wrong .pub file is rewritten from the private key', () => {
    const { identity, publicKeyPath } = ensureIdentity(home);
    unlinkSync(publicKeyPath);
    assert.equal(ensureIdentity(home).created, false);
    assert.equal(readFileSync(publicKeyPath, 'utf8').trim(), identity.publicKey);
    writeFileSync(publicKeyPath, `${generateIdentity().publicKey}\n`);
    ensureIdentity(home);
    assert.equal(readFileSync(publicKeyPath, 'utf8').trim(), identity.publicKey);
  });

  test('a concurrent creator wins: its key is used, ours is discarded', () => {
    const theirs = generateIdentity();
    const racing = (n: number): Buffer => {
      // Another process writes its identity between our read and our write.
      mkdirSync(join(home, 'config'), { recursive: true });
      writeFileSync(identityPaths(home).privateKey, `${theirs.privateKey}\n`, { mode: 0o600 });
      return Buffer.alloc(n, 9);
    };
    const result = ensureIdentity(home, { random: racing });
    assert.equal(result.created, false);
    assert.deepEqual(result.identity, theirs);
  });

  test('a corrupt private key file is reported, not replaced', () => {
    const { privateKey } = identityPaths(home);
    mkdirSync(join(home, 'config'), { recursive: true });
    writeFileSync(privateKey, 'garbage\n');
    assert.throws(() => readIdentity(home), (e) => code('KEY_INVALID')(e) && !(e as Error).message.includes('garbage'));
    assert.throws(() => ensureIdentity(home), code('KEY_INVALID'));
    assert.equal(readFileSync(privateKey, 'utf8'), 'garbage\n');
  });
});

describe('keyStatus', () => {
  test('reports presence, modes, formats and the encryption source, never key text', () => {
    generateSigningKey(home, 'beta');
    importSigningKey(home, 'gamma', 'x'.repeat(40));
    generateEncryptionKey(home, 'fleet');
    generateEncryptionKey(home, 'gamma');
    chmodSync(signingKeyPath(home, 'gamma'), 0o644);
    ensureIdentity(home);
    const report = keyStatus(home, ['beta', 'gamma', 'delta', '../x']);
    const [beta, gamma, delta, bad] = report.peers;
    assert.deepEqual(
      { exists: beta?.signing?.exists, mode: beta?.signing?.mode, priv: beta?.signing?.privateMode, fmt: beta?.signing?.format, src: beta?.encryptionSource },
      { exists: true, mode: 0o600, priv: true, fmt: 'hex64', src: 'fleet' },
    );
    assert.deepEqual({ fmt: gamma?.signing?.format, priv: gamma?.signing?.privateMode, src: gamma?.encryptionSource }, { fmt: 'text', priv: false, src: 'peer' });
    assert.equal(delta?.signing?.exists, false);
    assert.deepEqual(bad, { peer: '../x', validName: false, signing: null, encryption: null, encryptionSource: null });
    assert.equal(report.fleet.format, 'hex64');
    assert.equal(report.identity.format, 'ed25519');
    assert.equal(report.identity.publicKey, new FileKeyStore(home).identity()?.publicKey);
    const text = JSON.stringify(report);
    for (const k of [new FileKeyStore(home).signingKey('beta'), new FileKeyStore(home).encryptionKey('beta')]) {
      assert.ok(k !== null && !text.includes(k));
    }
  });
});
