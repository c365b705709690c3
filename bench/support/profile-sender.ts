/**
 * Profiling aid (not a benchmark): alpha sends to a real `mesh serve` beta with sendMessage() at
 * concurrency 4 for a few seconds, in this process only, so `node --cpu-prof` on this script shows
 * the sender's own costs without the bare-HTTP baseline mixed in.
 *   npm run build && node --cpu-prof --cpu-prof-dir /tmp/p bench/support/profile-sender.ts [seconds]
 *   node bench/support/cpuprofile-summary.ts /tmp/p --by function
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openNode } from '../../src/node/mesh-node.ts';
import { sendMessage } from '../../src/node/send-message.ts';
import { createPair, patchNodeConfig } from './fixture.ts';
import { freePort, startServe } from './processes.ts';

const seconds = Number(process.argv[2] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'mesh-profile-'));
const pair = createPair(dir, await freePort(), await freePort());
patchNodeConfig(pair.b, { serve: { rateLimitPerSecond: 100_000, rateLimitBurst: 100_000, addressRateLimitPerSecond: 1_000_000, addressRateLimitBurst: 1_000_000 } });
const beta = await startServe(pair.b, pair.betaPort, join(dir, 'beta.log'));
const node = openNode({ home: pair.a, env: {} });
let ok = 0;
const until = performance.now() + seconds * 1000;
await Promise.all(Array.from({ length: 4 }, async () => {
  while (performance.now() < until) {
    const [r] = await sendMessage(node, { target: 'beta', type: 'notification', body: 'x'.repeat(256) });
    if (r?.status === 'delivered') ok++;
  }
}));
const cpu = process.cpuUsage();
process.stdout.write(`${ok} delivered in ${seconds} s (${Math.round(ok / seconds)} msg/s), sender CPU ${Math.round((cpu.user + cpu.system) / ok)} µs/msg (incl. start-up)\n`);
await node.close();
await beta.stop();
rmSync(dir, { recursive: true, force: true });
