/**
 * `mesh request` asks one agent. Several targets used to send to all of them and then wait for the
 * first target's answer only; now they are refused before anything is sent, pointing at `mesh rally`
 * with the same agents.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { layoutOf } from '../src/node/home.ts';
import { readRegistryFile, writeRegistryFile } from '../src/node/registry.ts';
import { deadUrl, makeHome } from './support/cli-harness.ts';
import { describeRun, runMesh } from './support/mesh-process.ts';

describe('mesh request with several targets', () => {
  test('a,b / all / @group are refused with exit 2 and nothing is sent; one agent still goes', async () => {
    const url = await deadUrl();
    const h = makeHome({ beta: url, gamma: url });
    try {
      const file = layoutOf(h.home).registryFile;
      writeRegistryFile(file, { ...readRegistryFile(file), groups: { team: ['beta', 'gamma'], solo: ['beta'] } });

      for (const target of ['beta,gamma', 'beta gamma', 'all', '@team', '@solo']) {
        const r = await runMesh(['request', target, 'how are you?', '--wait', '2', '--home', h.home]);
        assert.equal(r.code, 2, describeRun(r));
        const agents = target.replace(' ', ',');
        assert.ok(r.stderr.includes(`"${target}" names several: use \`mesh rally "<question>" --agents ${agents} --wait 60\` to ask several agents`), describeRun(r));
        assert.equal(r.stdout, '');
      }
      assert.deepEqual(h.node.store.outbox.pendingCounts(), {}, 'nothing queued');
      assert.deepEqual(h.node.store.deadLetters.list(), [], 'nothing dead-lettered');

      const json = await runMesh(['request', 'all', 'x', '--json', '--home', h.home]);
      assert.equal(json.code, 2);
      assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'INVALID_ARGUMENT');

      const one = await runMesh(['request', 'beta,', 'still one agent', '--wait', '1', '--home', h.home]);
      assert.equal(one.code, 13, `one agent is asked and waited for\n${describeRun(one)}`);
      assert.deepEqual(h.node.store.outbox.pendingCounts(), { beta: 1 });
    } finally {
      await h.cleanup();
    }
  });
});
