/** nats-files.ts: which files stop a NATS connect, and natsErrorCode's codes for them and for TLS and key failures. */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { checkNatsFiles, natsFileProblem, NatsFileError } from './nats-files.ts';
import { natsErrorCode, natsErrorDetail } from './nats-link.ts';

const dir = mkdtempSync(join(tmpdir(), 'mesh-nats-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, mode: number): string => {
  const p = join(dir, name);
  writeFileSync(p, 'SUAFAKESEEDTHATMUSTNOTBEECHOED');
  chmodSync(p, mode);
  return p;
};

describe('NATS files', () => {
  test('secret files (credentials, seed, token, TLS key) open to group or others are refused, with the path and the fix', () => {
    for (const kind of ['credentials', 'NKey seed', 'token', 'TLS key'] as const) {
      for (const mode of [0o640, 0o604, 0o660, 0o644, 0o700 | 0o001]) {
        const p = file(`s-${mode.toString(8)}`, mode);
        const e = natsFileProblem({ kind, path: p });
        assert.equal(e?.code, 'nats_secret_file_mode', `${kind} ${mode.toString(8)}`);
        assert.ok(e.message.includes(p) && e.message.includes(`chmod 600 ${p}`) && !e.message.includes('SUAFAKE'));
      }
      assert.equal(natsFileProblem({ kind, path: file('ok', 0o600) }), null);
      assert.equal(natsFileProblem({ kind, path: file('ro', 0o400) }), null);
    }
  });
  test('the CA and the certificate are public: any mode will do', () => {
    for (const kind of ['TLS CA', 'TLS certificate'] as const) assert.equal(natsFileProblem({ kind, path: file('pub', 0o644) }), null);
  });
  test('a missing file or a folder stops the connect as nats_file_missing', () => {
    mkdirSync(join(dir, 'a-folder'));
    for (const path of [join(dir, 'nope'), join(dir, 'a-folder')]) {
      assert.throws(() => checkNatsFiles([{ kind: 'TLS CA', path }]), (e) => e instanceof NatsFileError && e.code === 'nats_file_missing' && e.message.includes(path));
    }
  });
  test('natsErrorCode: our file errors keep their code and detail; TLS and unusable keys get codes of their own; no message is passed on', () => {
    const fe = natsFileProblem({ kind: 'token', path: file('t', 0o666) });
    assert.equal(natsErrorCode(fe), 'nats_secret_file_mode');
    assert.equal(natsErrorDetail(fe).detail, fe?.message);
    assert.deepEqual(natsErrorDetail(new Error('Authorization Violation')), {});
    const code = (message: string, name = 'Error'): string => {
      const e = new Error(message);
      e.name = name;
      return natsErrorCode(e);
    };
    assert.equal(code('unable to verify the first certificate; if the root CA is installed locally, try running Node.js with --use-system-ca'), 'nats_tls');
    assert.equal(code("Hostname/IP does not match certificate's altnames: Host: localhost. is not cert's CN: server"), 'nats_tls');
    assert.equal(code('self-signed certificate in certificate chain'), 'nats_tls');
    assert.equal(code('nkeys: invalid encoded key'), 'nats_credentials_invalid');
    assert.equal(code('unable to parse credentials'), 'nats_credentials_invalid');
    assert.equal(code("'Authorization Violation'", 'AuthorizationError'), 'nats_auth');
    assert.equal(code('timeout', 'TimeoutError'), 'timeout');
    assert.equal(code('connection refused', 'ConnectionError'), 'connection_refused');
  });
});
