// serializeJq(parseOrdered(text)) against the real jq 1.6 binary (`jq -c .`), the reference for
// HMAC canonicalization (bash-mesh-behavior.md §3.2, §14 C):
//  - golden fixtures (test/fixtures/canonical/cases.json, made by generate-cases.ts with jq 1.6);
//  - a property test over thousands of generated documents, run through jq once as a stream.
// Reproduce a property failure with MESH_FC_SEED=<seed printed in the output>.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseOrdered, serializeJq } from '../src/protocol/canonical-json.ts';
import { isMeshError } from '../src/protocol/errors.ts';
import { jsonDocumentText } from './canonical-json-arbitraries.ts';
import { CHILD_PROCESS_TIMEOUT_MS } from './support/timeouts.ts';

const DOCS = 5000;

interface Case {
  name: string;
  input: string;
  jq: string | null;
}
const cases = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/canonical/cases.json'), 'utf8')) as Case[];

/** Every jq run is bounded: a hung one is killed instead of freezing this (synchronous) test. */
const BOUNDED = { timeout: CHILD_PROCESS_TIMEOUT_MS, killSignal: 'SIGKILL' } as const;

function requireJq16(): void {
  const r = spawnSync('jq', ['--version'], { encoding: 'utf8', ...BOUNDED });
  if (r.error !== undefined) {
    assert.fail(`jq is required for the canonical JSON tests (reference implementation): ${r.error.message}. Install jq 1.6 (apt-get install jq).`);
  }
  const version = r.stdout.trim();
  if (version !== 'jq-1.6') {
    assert.fail(`the canonical JSON tests need jq 1.6 (bash MESH signs with jq 1.6's output); found "${version}"`);
  }
}

const show = (s: string): string => (s.length > 200 ? `${JSON.stringify(s.slice(0, 200))}… (${s.length} chars)` : JSON.stringify(s));

function ours(input: string): string {
  try {
    return serializeJq(parseOrdered(input));
  } catch (e) {
    return `<error: ${e instanceof Error ? e.message : String(e)}>`;
  }
}

describe('canonical JSON matches jq 1.6', () => {
  before(requireJq16);

  test('fixture file covers accepted and rejected inputs', () => {
    assert.ok(cases.length >= 100);
    assert.ok(cases.some((c) => c.jq === null));
    assert.ok(cases.some((c) => c.name.startsWith('envelope §2.1')));
  });

  test('golden fixtures: our output equals the recorded jq output', () => {
    const failures: string[] = [];
    for (const c of cases) {
      if (c.jq === null) {
        try {
          parseOrdered(c.input);
          failures.push(`${c.name}: jq rejects ${show(c.input)} but parseOrdered accepted it`);
        } catch (e) {
          if (!isMeshError(e) || e.code !== 'INVALID_JSON') failures.push(`${c.name}: wrong error ${String(e)}`);
        }
      } else {
        const got = ours(c.input);
        if (got !== c.jq) failures.push(`${c.name}:\n  input ${show(c.input)}\n  jq    ${show(c.jq)}\n  ours  ${show(got)}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  test('golden fixtures: the installed jq still produces the recorded output', () => {
    const accepted = cases.filter((c) => c.jq !== null);
    const stream = spawnSync('jq', ['-c', '.'], { input: accepted.map((c) => c.input).join('\n'), ...BOUNDED });
    assert.equal(stream.status, 0, `jq rejected a recorded accepted case: ${stream.stderr.toString('utf8')}`);
    const lines = stream.stdout.toString('utf8').split('\n');
    const failures: string[] = [];
    accepted.forEach((c, i) => {
      if (lines[i] !== c.jq) failures.push(`${c.name}: recorded ${show(String(c.jq))}, jq now gives ${show(String(lines[i]))}`);
    });
    for (const c of cases.filter((x) => x.jq === null)) {
      if (spawnSync('jq', ['-c', '.'], { input: c.input, ...BOUNDED }).status === 0) failures.push(`${c.name}: jq now accepts it`);
    }
    assert.deepEqual(failures, []);
  });

  test(`property: ${DOCS} generated documents, serializeJq(parseOrdered(doc)) === jq -c . doc`, (t) => {
    const seed = process.env.MESH_FC_SEED === undefined ? Date.now() % 2 ** 31 : Number(process.env.MESH_FC_SEED);
    t.diagnostic(`fast-check seed ${seed} (reproduce with MESH_FC_SEED=${seed})`);
    const docs = fc.sample(jsonDocumentText, { seed, numRuns: DOCS });

    const dir = mkdtempSync(join(tmpdir(), 'mesh-canonical-'));
    let lines: string[];
    try {
      const file = join(dir, 'docs.json');
      writeFileSync(file, docs.join('\n') + '\n');
      const r = spawnSync('jq', ['-c', '.', file], { maxBuffer: 256 * 1024 * 1024, ...BOUNDED });
      if (r.status !== 0) {
        assert.fail(`jq rejected the generated stream (seed ${seed}): ${r.stderr.toString('utf8').slice(0, 500)}`);
      }
      lines = r.stdout.toString('utf8').split('\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(lines.pop(), '', 'jq output ends with a newline');
    assert.equal(lines.length, docs.length, `jq printed ${lines.length} values for ${docs.length} documents (seed ${seed})`);

    const mismatches: string[] = [];
    docs.forEach((doc, i) => {
      const expected = lines[i] ?? '';
      const got = ours(doc);
      if (got !== expected) {
        mismatches.push(`#${i}\n  input ${show(doc)}\n  jq    ${show(expected)}\n  ours  ${show(got)}`);
      } else if (ours(expected) !== expected) {
        mismatches.push(`#${i} not idempotent\n  jq    ${show(expected)}\n  again ${show(ours(expected))}`);
      }
    });
    assert.equal(mismatches.length, 0, `seed ${seed}: ${mismatches.length} of ${docs.length} differ; first ones:\n${mismatches.slice(0, 5).join('\n')}`);
  });

  test('the generated documents really are nasty (guards the generator)', () => {
    const docs = fc.sample(jsonDocumentText, { seed: 42, numRuns: 2000 }).join('\n');
    for (const needle of ['\\u007f', '\u007f', '\\/', '\\ud', '\\uD', '"10"', '"2"', 'e+', 'E-', '-0', '\u2028']) {
      assert.ok(docs.includes(needle), `generator never produced ${JSON.stringify(needle)}`);
    }
    assert.ok(/\[{"k":|\[\[\[\[\[\[\[\[\[\[/.test(docs), 'generator never nests deeply');
  });

  test('jq itself accepts a document with a duplicate key and keeps the first position (sanity)', () => {
    const out = execFileSync('jq', ['-c', '.'], { input: '{"a":1,"b":2,"a":3}', ...BOUNDED }).toString('utf8');
    assert.equal(out, '{"a":3,"b":2}\n');
  });
});
