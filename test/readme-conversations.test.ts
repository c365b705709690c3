/**
 * The README's "Conversations" walk-through, run as written: its bash block is taken out of README.md
 * and run by bash with the `mesh` a user's `npm link` puts on PATH (a link to dist/cli/bin.js). Only
 * the folder (/tmp/conv) and the three hook ports are swapped for free ones, so the run cannot
 * collide with anything else on the machine; every command, handler script and flag is the README's.
 * Its printed results are the ones the README promises: two rounds, the consensus of each, the
 * verdict, and the search.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { BUILT_MESH_BIN, builtBinUnusable } from './support/built-cli.ts';
import { freePort, REPO_ROOT } from './support/mesh-process.ts';
import { runToEnd } from './support/process-group.ts';

const WALK_THROUGH_TIMEOUT_MS = 600_000;

/** The first ```bash block after the heading `## <heading>` in README.md. */
function readmeBlock(heading: string): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${heading}`);
  assert.ok(start >= 0, `README has a "## ${heading}" section`);
  const m = /```bash\n([\s\S]*?)```/.exec(readme.slice(start));
  assert.ok(m?.[1], `the "${heading}" section has a bash block`);
  return m[1];
}

const work = mkdtempSync(join(tmpdir(), 'mesh-readme-conv-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('README "Conversations": the walk-through runs as written and prints what the README says', { skip: builtBinUnusable() ?? false, timeout: WALK_THROUGH_TIMEOUT_MS }, async () => {
  let script = readmeBlock('Conversations');
  assert.match(script, /\/tmp\/conv/);
  const home = join(work, 'conv');
  script = script.replaceAll('/tmp/conv', home);
  for (const port of ['18811', '18812', '18813']) {
    assert.ok(script.includes(port), `the block uses port ${port}`);
    script = script.replaceAll(port, String(await freePort()));
  }
  // What `npm link` leaves on PATH: a `mesh` link to the package's bin, made executable (as npm
  // does), run by the Node on PATH.
  const bin = join(work, 'bin');
  mkdirSync(bin);
  chmodSync(BUILT_MESH_BIN, 0o755);
  symlinkSync(BUILT_MESH_BIN, join(bin, 'mesh'));
  mkdirSync(home);
  // -e: a failing step fails the run; the last line stops the daemons the block left in the background.
  const r = await runToEnd('bash', ['-e', '-c', `${script}\nkill $(jobs -p) && wait\n`], {
    cwd: work,
    env: { ...process.env, PATH: `${bin}:${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`, NO_COLOR: '1', MESH_HOME: '' },
    timeoutMs: WALK_THROUGH_TIMEOUT_MS - 30_000,
  });
  const out = r.stdout;
  assert.equal(r.timedOut, false, `timed out\nstdout: ${out}\nstderr: ${r.stderr.slice(-3000)}`);
  assert.equal(r.code, 0, `exit ${String(r.code)}\nstdout: ${out}\nstderr: ${r.stderr.slice(-3000)}`);
  // Round 1: blind answers, close but not matching.
  assert.match(out, /conv_\d+_[0-9a-f]{8} · round 1 complete · 2 of 2 answered/);
  assert.match(out, /^ {2}beta {3}1260 active rows$/m);
  assert.match(out, /^ {2}gamma {2}1298 active rows$/m);
  assert.match(out, /Consensus: close — Values within 2\.97% of their mean/);
  // Round 2: each saw the other's answer (the handlers answer differently when they get the context).
  assert.match(out, /round 2 complete · 2 of 2 answered/);
  assert.match(out, /gamma {2}1260: I had counted the 38 archived rows by mistake\./);
  assert.match(out, /Consensus: match — All 2 responses agree/);
  // The verdict, shown by mesh conv show, and the search finds the conversation by gamma's word.
  assert.match(out, /verdict {7}confirmed — 1260: gamma had counted archived rows/);
  const conv = /conv_\d+_[0-9a-f]{8}/.exec(out)?.[0] ?? '';
  const search = out.slice(out.lastIndexOf('ID  '));
  assert.match(search, new RegExp(`^${conv} +rally +complete +2 +2/2`, 'm'));
  assert.equal(search.trim().split('\n').length, 2, 'the header and one conversation');
});
