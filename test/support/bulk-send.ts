/**
 * A sender process for the crash tests: sends `count` notifications from a node home to one peer
 * through the node API `mesh send` uses (durable outbox first, then one attempt), `concurrency` at a
 * time, far faster than one CLI process per message. Prints one JSON line per message as soon as
 * its first attempt ended: {"i", "id", "status"}; exits 0 when every message was accepted into the
 * outbox (delivered or queued), else 1.
 * Usage: node bulk-send.ts <home> <peer> <count> <concurrency> <body prefix>
 */
import { openNode } from '../../src/node/mesh-node.ts';
import { sendMessage } from '../../src/node/send-message.ts';

const [home, peer, countArg, concurrencyArg, prefix] = process.argv.slice(2);
if (home === undefined || peer === undefined || prefix === undefined) {
  throw new Error('usage: bulk-send <home> <peer> <count> <concurrency> <body prefix>');
}
const count = Number(countArg);
const concurrency = Number(concurrencyArg);
const node = openNode({ home, env: {} });
let next = 0;
let failed = 0;

async function lane(): Promise<void> {
  while (next < count) {
    const i = next++;
    const [r] = await sendMessage(node, { target: peer as string, type: 'notification', body: `${prefix} ${i}` });
    if (r === undefined || r.id === null || (r.status !== 'delivered' && r.status !== 'queued')) failed++;
    process.stdout.write(`${JSON.stringify({ i, id: r?.id ?? null, status: r?.status ?? 'error', error: r?.error ?? null })}\n`);
  }
}

try {
  await Promise.all(Array.from({ length: concurrency }, lane));
} finally {
  await node.close();
}
process.exitCode = failed === 0 ? 0 : 1;
