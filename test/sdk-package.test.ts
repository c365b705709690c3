/**
 * The SDK as a user gets it: the packed package installed into a folder outside the repository, its
 * type declarations checked by tsc (strict, no skipLibCheck), and the README's SDK example run as
 * written — copied out of README.md, so the README cannot drift — against two real daemons.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { builtBinUnusable } from './support/built-cli.ts';
import { MeshCluster } from './support/mesh-cluster.ts';
import { describeRun, REPO_ROOT, runNodeScript } from './support/mesh-process.ts';
import { installPacked, linkDevPackage } from './support/packed-install.ts';

const README_MARKER = '<!-- test/sdk-package.test.ts runs this block as written against two real daemons -->';

/** The ```ts block right after the marker in README.md. */
export function readmeExample(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(README_MARKER);
  assert.ok(at >= 0, 'README.md has the SDK example marker');
  const m = /^```ts\n([\s\S]*?)^```$/m.exec(readme.slice(at));
  assert.ok(m?.[1] !== undefined, 'a ```ts block follows the marker');
  return m[1];
}

const unusable = builtBinUnusable();
let cluster: MeshCluster;
let consumer: string;

before(async () => {
  if (unusable !== null) return;
  cluster = await MeshCluster.create({ agents: ['alpha', 'beta'] });
  consumer = cluster.path('consumer');
  installPacked(consumer);
  linkDevPackage(consumer, '@types/node');
  writeFileSync(join(consumer, 'example.ts'), readmeExample());
});
after(async () => {
  await cluster?.close();
});

test('the packed package type-checks from outside the repository with its own declarations', { skip: unusable ?? false }, () => {
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2024',
    '--types', 'node', '--skipLibCheck', 'false', 'example.ts'];
  try {
    execFileSync(process.execPath, args, { cwd: consumer, encoding: 'utf8', timeout: 180_000 });
  } catch (e) {
    assert.fail(`tsc failed on the README example against the installed package:\n${String((e as { stdout?: string }).stdout)}`);
  }
});

test('the README example runs as written against two daemons: send, request, events in order, status', { skip: unusable ?? false }, async () => {
  const alpha = cluster.node('alpha');
  await cluster.node('beta').serve({ handler: cluster.script('answer.sh', '#!/bin/sh\necho 42\n') });
  await alpha.serve();
  const before = alpha.count('SELECT max(seq) AS n FROM events');
  const r = await runNodeScript(join(consumer, 'example.ts'), [], { env: { MESH_HOME: alpha.home }, timeoutMs: 90_000 });
  assert.equal(r.code, 0, describeRun(r));
  assert.equal(r.stderr, '', 'the SDK writes nothing of its own');
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines[0], 'sent: delivered');
  assert.equal(lines[1], 'beta answered: 42');
  assert.match(lines.at(-1) ?? '', /beta: circuit closed, 0 queued/);
  // The events it printed are the message.* events of alpha's log since it started, in sequence.
  const printed = lines.slice(2, -1).map((l) => l.split(' '));
  const logged = alpha.query<{ seq: number; type: string }>("SELECT seq, type FROM events WHERE seq > ? AND type LIKE 'message.%' ORDER BY seq", before);
  const upToAnswer = logged.slice(0, logged.findIndex((e) => e.type === 'message.received') + 1);
  assert.deepEqual(printed, upToAnswer.map((e) => [String(e.seq), e.type]));
  assert.ok(upToAnswer.length >= 5, `queued/delivered for the send and the request, then the answer: ${JSON.stringify(upToAnswer)}`);
});
