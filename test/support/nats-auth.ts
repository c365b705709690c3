/**
 * Credentials and certificates for NATS servers that authenticate, made fresh for each test:
 *  - NKey users (seed + public key) from the client library's own nkeys (`@nats-io/transport-node`
 *    re-exports @nats-io/nkeys), and a server config that admits them;
 *  - decentralised JWT auth: an operator, a system account, an account with JetStream and a user per
 *    node, as a server config (memory resolver) and `.creds` files (user JWT + seed), the format of
 *    `nsc generate creds`; the JWTs are signed here with the same nkeys (header.claims.signature, all
 *    base64url, Ed25519 by the issuer's key);
 *  - a CA, a server certificate for 127.0.0.1/localhost and a client certificate made with the
 *    `openssl` command line, plus a second, untrusted CA with a client certificate of its own.
 * Nothing here is secret beyond the test; files holding seeds and keys are written 0600.
 * assertSecretsKept() checks that secrets appear in no output and in no file of a node's home but
 * the ones that hold them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nkeys } from '@nats-io/transport-node';
import { CHILD_PROCESS_TIMEOUT_MS } from './timeouts.ts';

type KeyPair = ReturnType<typeof nkeys.createUser>;

export interface NkeyUser {
  seed: string;
  publicKey: string;
}

export function nkeyUser(): NkeyUser {
  const kp = nkeys.createUser();
  return { seed: new TextDecoder().decode(kp.getSeed()), publicKey: kp.getPublicKey() };
}

/** A server config (for `-c`) admitting these NKey users; JetStream and ports come from the command line. */
export function nkeyServerConfig(dir: string, users: readonly NkeyUser[]): string {
  const file = join(dir, 'nkey-server.conf');
  writeFileSync(file, `authorization {\n  users = [\n${users.map((u) => `    { nkey: ${u.publicKey} }`).join('\n')}\n  ]\n}\n`);
  return file;
}

const b64url = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

function signJwt(issuer: KeyPair, subject: string, name: string, nats: Record<string, unknown>): string {
  const claims = {
    jti: randomBytes(16).toString('hex').toUpperCase(), iat: Math.floor(Date.now() / 1000), iss: issuer.getPublicKey(), name, sub: subject,
    nats: { ...nats, version: 2 },
  };
  const signed = `${b64url({ typ: 'JWT', alg: 'ed25519-nkey' })}.${b64url(claims)}`;
  return `${signed}.${Buffer.from(issuer.sign(new TextEncoder().encode(signed))).toString('base64url')}`;
}

const UNLIMITED = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };

export interface OperatorSetup {
  /** The server config (`-c`): operator, system account, memory resolver preloaded with the accounts. */
  configFile: string;
  /** The `.creds` text of a user of the JetStream account. */
  creds(name: string): string;
  /** The `.creds` text of a user signed by an account the server does not know. */
  strangerCreds(name: string): string;
}

function credsText(account: KeyPair, name: string): string {
  const user = nkeys.createUser();
  const jwt = signJwt(account, user.getPublicKey(), name, { type: 'user', pub: {}, sub: {}, subs: -1, data: -1, payload: -1 });
  const seed = new TextDecoder().decode(user.getSeed());
  return `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n\n`
    + '************************* IMPORTANT *************************\nNKEY Seed printed below can be used to sign and prove identity.\n'
    + 'NKEYs are sensitive and should be treated as secrets.\n\n'
    + `-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n\n*************************************************************\n`;
}

export function operatorSetup(dir: string): OperatorSetup {
  const op = nkeys.createOperator();
  const sys = nkeys.createAccount();
  const acc = nkeys.createAccount();
  const stranger = nkeys.createAccount();
  const opJwt = signJwt(op, op.getPublicKey(), 'mesh-test-operator', { type: 'operator' });
  const sysJwt = signJwt(op, sys.getPublicKey(), 'SYS', { type: 'account', limits: UNLIMITED });
  const accJwt = signJwt(op, acc.getPublicKey(), 'mesh', {
    type: 'account', limits: { ...UNLIMITED, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 }, default_permissions: { pub: {}, sub: {} },
  });
  const configFile = join(dir, 'operator-server.conf');
  writeFileSync(configFile, [
    `operator: "${opJwt}"`,
    `system_account: ${sys.getPublicKey()}`,
    'resolver: MEMORY',
    `resolver_preload: {\n  ${sys.getPublicKey()}: "${sysJwt}"\n  ${acc.getPublicKey()}: "${accJwt}"\n}`,
    '',
  ].join('\n'));
  return { configFile, creds: (name) => credsText(acc, name), strangerCreds: (name) => credsText(stranger, name) };
}

export interface TlsFiles {
  ca: string;
  server: { cert: string; key: string };
  client: { cert: string; key: string };
  /** A CA nobody trusts, and a client certificate it signed. */
  rogueCa: string;
  rogueClient: { cert: string; key: string };
}

function openssl(dir: string, args: readonly string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: CHILD_PROCESS_TIMEOUT_MS, killSignal: 'SIGKILL' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed (${String(r.status ?? r.signal)}): ${r.stderr}`);
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Certificates valid for two days, keys 0600, in `dir`. */
export function makeTlsFiles(dir: string): TlsFiles {
  const ca = (name: string): void => openssl(dir, ['req', '-x509', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`]);
  const leaf = (name: string, issuer: string, usage: 'serverAuth' | 'clientAuth'): void => {
    openssl(dir, ['req', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=${usage}\n`);
    openssl(dir, [
      'x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-set_serial', `0x${randomBytes(8).toString('hex')}`,
      '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`,
    ]);
  };
  ca('mesh-test-ca');
  ca('rogue-ca');
  leaf('server', 'mesh-test-ca', 'serverAuth');
  leaf('client', 'mesh-test-ca', 'clientAuth');
  leaf('rogue-client', 'rogue-ca', 'clientAuth');
  const f = (name: string): string => join(dir, name);
  return {
    ca: f('mesh-test-ca.pem'),
    server: { cert: f('server.pem'), key: f('server.key') },
    client: { cert: f('client.pem'), key: f('client.key') },
    rogueCa: f('rogue-ca.pem'),
    rogueClient: { cert: f('rogue-client.pem'), key: f('rogue-client.key') },
  };
}

/** Every regular file under `dir` (recursively). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/**
 * Fails when any secret appears in `texts` (CLI output, daemon logs) or in any file under `homes`
 * (config, database and its WAL, audit log, …) other than the files meant to hold them (`holders`).
 */
export function assertSecretsKept(secrets: readonly string[], texts: readonly string[], homes: readonly string[], holders: readonly string[]): void {
  assert.ok(secrets.length > 0 && secrets.every((s) => s.length >= 16), 'secrets to look for');
  for (const [i, text] of texts.entries()) {
    for (const s of secrets) assert.ok(!text.includes(s), `output #${i} contains a secret:\n${text.slice(0, 2_000)}`);
  }
  const held = new Set(holders);
  for (const file of homes.flatMap(filesUnder)) {
    if (held.has(file)) continue;
    const bytes = readFileSync(file);
    for (const s of secrets) assert.ok(!bytes.includes(s), `${file} contains a secret`);
  }
}
