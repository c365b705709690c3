/**
 * `mesh send --wait-delivery` tells the user once that it waits, then ends with one final line per
 * target that says how each message ended (it printed "waiting for N message(s)…" every 250 ms, and
 * the final lines repeated the first attempt's details: "delivered (HTTP 503)").
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { layoutOf } from '../src/node/home.ts';
import { makeHome } from './support/cli-harness.ts';
import { describeRun, runMesh } from './support/mesh-process.ts';
import { CLI_WAIT_RUN_TIMEOUT_MS, CLI_WAIT_SECONDS } from './support/timeouts.ts';

/** A loopback peer answering its hook with statuses[i] for the i-th request (the last one after that). */
async function scriptedPeer(statuses: number[]): Promise<{ url: string; hits: () => number; close(): Promise<void> }> {
  let n = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const status = statuses[Math.min(n, statuses.length - 1)] ?? 500;
      n++;
      res.writeHead(status, { 'content-type': 'application/json', connection: 'close' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: () => n,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

test('send --wait-delivery: one progress line, then a final line per target', async () => {
  const beta = await scriptedPeer([503, 202]);
  const gamma = await scriptedPeer([503]);
  const h = makeHome({ beta: beta.url, gamma: gamma.url });
  try {
    writeFileSync(layoutOf(h.home).configFile, JSON.stringify({ delivery: { retryDelaysMs: [0, 300, 300], breakerFailureThreshold: 10 } }));
    const r = await runMesh(['send', 'beta,gamma', 'notification', 'hello', '--wait-delivery', String(CLI_WAIT_SECONDS), '--home', h.home], { timeoutMs: CLI_WAIT_RUN_TIMEOUT_MS });
    assert.equal(r.code, 11, `worst outcome: gamma dead-lettered\n${describeRun(r)}`);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.filter((l) => /waiting/.test(l)).length, 1, `progress printed once\n${r.stderr}`);
    assert.match(lines[0] ?? '', new RegExp(`^waiting up to ${CLI_WAIT_SECONDS}s for 2 message\\(s\\) to be delivered: beta, gamma…$`));
    const finals = lines.slice(1).sort();
    assert.equal(finals.length, 2, `then exactly one line per target\n${r.stderr}`);
    assert.match(finals[0] ?? '', /^✓ beta: delivered \(HTTP 202, attempt 2\) msg_\S+$/);
    assert.match(finals[1] ?? '', /^✗ gamma: dead-lettered \(all_retries_exhausted, 3 attempts\) msg_\S+ — see `mesh dlq show msg_\S+`$/);
    assert.equal(beta.hits(), 2);
    assert.equal(gamma.hits(), 3);
    assert.equal(r.stdout.trim().split('\n').length, 2, 'the two message ids on stdout');

    const json = await runMesh(['send', 'beta', 'notification', 'again', '--wait-delivery', String(CLI_WAIT_SECONDS), '--json', '--home', h.home], { timeoutMs: CLI_WAIT_RUN_TIMEOUT_MS });
    assert.equal(json.code, 0, describeRun(json));
    assert.equal(json.stderr, '', 'no progress in --json mode');
    const doc = JSON.parse(json.stdout) as { results: { status: string; httpStatus: number }[] };
    assert.deepEqual(doc.results.map((x) => [x.status, x.httpStatus]), [['delivered', 202]]);
  } finally {
    await h.cleanup();
    await beta.close();
    await gamma.close();
  }
});
