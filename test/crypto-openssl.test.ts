// Interop of src/crypto with the real tools bash MESH uses (bash-mesh-behavior.md §3.2, §5, §14 C/D):
//  - HMAC: `jq -c 'del(.signature)' | openssl dgst -sha256 -hmac "$key" -binary | base64`, as mesh-send
//    signs and parse_mesh verifies;
//  - AES-256-CBC: `openssl enc -aes-256-cbc -K <xxd -p of the key text, 64 digits> -iv <hex>`, as
//    mesh-crypt encrypts and decrypts, in both directions.
// Every input goes to the tools through stdin or as a separate argv entry: no shell, no string building.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { decryptCbc, encryptCbc } from '../src/crypto/aes-cbc.ts';
import { hmacSignText, signEnvelopeHmac, verifyEnvelopeHmac } from '../src/crypto/hmac.ts';
import { encryptEnvelopePayload } from '../src/crypto/payload-crypto.ts';
import { attachSignature } from '../src/crypto/signature-format.ts';
import { VECTOR_ENVELOPE_TEXT, VECTOR_KEY, VECTOR_SIGNATURE, testEnvelope } from '../src/crypto/test-envelopes.ts';
import { parseOrdered, serializeJq } from '../src/protocol/canonical-json.ts';
import { isMeshError } from '../src/protocol/errors.ts';
import { jsonDocumentText } from './canonical-json-arbitraries.ts';
import { CHILD_PROCESS_TIMEOUT_MS } from './support/timeouts.ts';

/** Every helper process is bounded: a hung one is killed instead of freezing this (synchronous) test. */
const BOUNDED = { timeout: CHILD_PROCESS_TIMEOUT_MS, killSignal: 'SIGKILL' } as const;

const run = (cmd: string, args: string[], input: string | Buffer): Buffer =>
  execFileSync(cmd, args, { input, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 16 * 1024 * 1024, ...BOUNDED });

function requireTools(): void {
  for (const [cmd, arg] of [['jq', '--version'], ['openssl', 'version'], ['xxd', '-v'], ['base64', '--version']] as const) {
    const r = spawnSync(cmd, [arg], { encoding: 'utf8', ...BOUNDED });
    if (r.error !== undefined) assert.fail(`${cmd} is required for the crypto interop tests: ${r.error.message}`);
  }
}

/** bash: KEY=$(tr -d '[:space:]' < key file) */
const bashKey = (keyFileText: string): string => run('tr', ['-d', '[:space:]'], keyFileText).toString('latin1');

/** mesh-send / parse_mesh: the signature bash computes for an envelope text (bare base64). */
function bashHmac(envelopeText: string, keyFileText: string): string {
  // $(jq -c …) drops jq's trailing newline; `echo -n` then feeds the bytes to openssl.
  const canonical = run('jq', ['-c', 'del(.signature)'], envelopeText).toString('utf8').replace(/\n$/, '');
  const mac = run('openssl', ['dgst', '-sha256', '-hmac', bashKey(keyFileText), '-binary'], canonical);
  return run('base64', ['-w0'], mac).toString('ascii');
}

/** mesh-send: appends the signature as the last key with jq. */
const bashAttach = (envelopeText: string, signature: string): string =>
  run('jq', ['-c', '--arg', 's', signature, '. + {signature: $s}'], envelopeText).toString('utf8').replace(/\n$/, '');

/** mesh-crypt: the -K argument, `echo -n "$key" | xxd -p | tr -d '\n' | head -c 64`. */
const bashAesKeyHex = (keyFileText: string): string =>
  run('xxd', ['-p'], bashKey(keyFileText)).toString('ascii').replace(/\n/g, '').slice(0, 64);

function opensslEncrypt(keyFileText: string, plaintext: string, ivHex: string): string {
  const ct = run('openssl', ['enc', '-aes-256-cbc', '-K', bashAesKeyHex(keyFileText), '-iv', ivHex], plaintext);
  return run('base64', ['-w0'], ct).toString('ascii');
}

function opensslDecrypt(keyFileText: string, ivHex: string, dataB64: string): string {
  const ct = run('base64', ['-d'], dataB64);
  return run('openssl', ['enc', '-d', '-aes-256-cbc', '-K', bashAesKeyHex(keyFileText), '-iv', ivHex], ct).toString('utf8');
}

const ENVELOPES: Record<string, string> = {
  '§2.1 test vector': VECTOR_ENVELOPE_TEXT,
  'integer-like and duplicate keys in metadata, jq number forms': VECTOR_ENVELOPE_TEXT.replace(
    '"metadata":{}',
    '"metadata":{"b":1,"2":"two","10":{"1":true,"0":null},"a":[1.5,1e16,0.00001,1E400,-0,100.0],"b":2}',
  ),
  'non-ASCII text, escapes, DEL and U+2028': VECTOR_ENVELOPE_TEXT.replace(
    '"subject":"Hello","body":"Hello"',
    '"subject":"h\\u00e9llo \\ud83d\\ude00","body":"wörld ✓ 😀 \\u007f\u2028 tab\\t nl\\n quote\\" slash\\/ ctl\\u0001"',
  ),
  'pretty-printed with a signature in the middle': `{\n  "signature": "sha256:AAAA",\n  ${VECTOR_ENVELOPE_TEXT.slice(1).replace(/,"/g, ',\n  "')}\n`,
};

describe('crypto interop with openssl, jq and coreutils', () => {
  before(requireTools);

  test('the tools reproduce the §14 HMAC vector (sanity check of the pipeline)', () => {
    assert.equal(`sha256:${bashHmac(VECTOR_ENVELOPE_TEXT, VECTOR_KEY)}`, VECTOR_SIGNATURE);
  });

  for (const [name, text] of Object.entries(ENVELOPES)) {
    test(`HMAC equals jq + openssl: ${name}`, () => {
      const keyFile = `${VECTOR_KEY}\n`;
      const expected = bashHmac(text, keyFile);
      const ours = signEnvelopeHmac(parseOrdered(text), keyFile);
      assert.equal(ours, `sha256:${expected}`);
      // bash-signed envelope (mesh-send: prefixed; build_mesh_response: bare) verifies here.
      assert.equal(verifyEnvelopeHmac(parseOrdered(bashAttach(text, `sha256:${expected}`)), VECTOR_KEY), true);
      assert.equal(verifyEnvelopeHmac(parseOrdered(bashAttach(text, expected)), VECTOR_KEY), true);
      // And the signature we attach verifies on the bash side.
      const wire = serializeJq(attachSignature(parseOrdered(text), ours));
      assert.equal(bashHmac(wire, keyFile), ours.slice('sha256:'.length));
    });
  }

  test('HMAC of raw text with an odd key file (spaces, CRLF) equals openssl', () => {
    const keyFile = ' secret key text\r\nwith spaces \t';
    const msg = 'héllo ✓\n';
    const expected = run('base64', ['-w0'], run('openssl', ['dgst', '-sha256', '-hmac', bashKey(keyFile), '-binary'], msg)).toString();
    assert.equal(hmacSignText(keyFile, msg), expected);
  });

  test('HMAC equals jq + openssl for generated metadata documents', () => {
    const docs = fc.sample(jsonDocumentText, { numRuns: 40, seed: 20260101 });
    let checked = 0;
    for (const doc of docs) {
      const text = VECTOR_ENVELOPE_TEXT.replace('"metadata":{}', `"metadata":${doc}`);
      let parsed;
      try {
        parsed = parseOrdered(text);
      } catch {
        continue; // too deep once wrapped in the envelope; canonical-json-jq.test.ts covers rejection parity
      }
      assert.equal(signEnvelopeHmac(parsed, VECTOR_KEY), `sha256:${bashHmac(text, VECTOR_KEY)}`, `metadata ${doc.slice(0, 200)}`);
      checked++;
    }
    assert.ok(checked >= 30, `only ${checked} documents checked`);
  });

  test('an encrypted, signed envelope built here verifies with the bash pipeline and decrypts with openssl', () => {
    const env = encryptEnvelopePayload(testEnvelope({ body: 'Top secret ✓', subject: 'status', metadata: { '2': 'x', a: 1 } }), 'aes-256-cbc', VECTOR_KEY);
    const signature = signEnvelopeHmac(env, VECTOR_KEY);
    const wire = serializeJq(attachSignature(env, signature) as never);
    assert.equal(`sha256:${bashHmac(wire, VECTOR_KEY)}`, signature);
    const cipher = JSON.parse(run('jq', ['-r', '.payload.body'], wire).toString()) as { iv: string; data: string };
    assert.equal(opensslDecrypt(VECTOR_KEY, cipher.iv, cipher.data), 'Top secret ✓');
  });

  test('AES-256-CBC §14 vectors with openssl (64-char key and "abc")', () => {
    const iv = '000102030405060708090a0b0c0d0e0f';
    assert.equal(bashAesKeyHex(VECTOR_KEY), '3030313132323333343435353636373738383939616162626363646465656666');
    assert.equal(opensslEncrypt(VECTOR_KEY, 'Top secret', iv), 'TLwPekdLallgIh8F/vWZFg==');
    assert.equal(opensslEncrypt('abc', 'Top secret', iv), 'TsOelFTf1YvAoyyp4B7xKQ==');
  });

  test('AES-256-CBC both directions for assorted keys and texts', () => {
    const keys = [`${VECTOR_KEY}\n`, 'abc', 'a-key-longer-than-thirty-two-characters-is-cut', ' spaced key\n'];
    const texts = ['', 'x', 'exactly sixteen!', 'héllo wörld ✓ 😀\nline two\u007f', 'A'.repeat(1000)];
    for (const key of keys) {
      for (const text of texts) {
        const ivHex = Buffer.from(Array.from({ length: 16 }, (_, i) => (i * 37 + text.length) & 0xff)).toString('hex');
        const ours = JSON.parse(encryptCbc(key, text, Buffer.from(ivHex, 'hex'))) as { iv: string; data: string };
        assert.equal(ours.data, opensslEncrypt(key, text, ivHex), `encrypt key=${JSON.stringify(key)} text=${JSON.stringify(text)}`);
        assert.equal(opensslDecrypt(key, ours.iv, ours.data), text);
        const theirs = JSON.stringify({ enc: 'aes-256-cbc', iv: ivHex, data: opensslEncrypt(key, text, ivHex) });
        assert.equal(decryptCbc(key, theirs), text);
      }
    }
  });

  test('a wrong key fails on both sides', () => {
    const ivHex = '0f0e0d0c0b0a09080706050403020100';
    const data = opensslEncrypt(VECTOR_KEY, 'Top secret', ivHex);
    const wrong = 'ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100';
    assert.throws(() => opensslDecrypt(wrong, ivHex, data));
    assert.throws(() => decryptCbc(wrong, JSON.stringify({ iv: ivHex, data })), (e) => isMeshError(e) && e.code === 'DECRYPT_FAILED');
  });
});
