/**
 * Child script: does what `mesh send beta notification hi --home <home>` does, with the built dist/
 * modules, timing each phase, and prints {phases: [[name, ms], ...], endMs} as one JSON line.
 * Usage: node bench/support/send-phases.ts <alpha home>
 * node:sqlite is imported first on purpose, to attribute its load time. node:http is loaded by the
 * transport on first use (process.getBuiltinModule), so it is part of the cold POST.
 */
import type * as ComposeModule from '../../src/node/compose.ts';
import type * as MeshNodeModule from '../../src/node/mesh-node.ts';
import type { OutboundRequest, Transport } from '../../src/ports/transport.ts';
import type * as HttpTransportModule from '../../src/transports/http/http-transport.ts';

const bootMs = performance.now(); // time since the process started: Node's own start-up
const home = process.argv[2];
if (home === undefined) throw new Error('usage: send-phases.ts <home>');
const dist = new URL('../../dist/', import.meta.url);
const phases: [string, number][] = [['(not part of a send) start-up of this .ts script', bootMs]];
let t = performance.now();
const lap = (name: string): void => {
  const now = performance.now();
  phases.push([name, now - t]);
  t = now;
};

await import('node:sqlite');
lap('import node:sqlite');
await import(new URL('cli/main.js', dist).href);
lap('import cli/main.js');
await import(new URL('cli/commands/send.js', dist).href);
lap('import the rest of the send.js graph');
const { openNode } = (await import(new URL('node/mesh-node.js', dist).href)) as typeof MeshNodeModule;
const { composeEnvelope } = (await import(new URL('node/compose.js', dist).href)) as typeof ComposeModule;
const { createHttpTransport } = (await import(new URL('transports/http/http-transport.js', dist).href)) as typeof HttpTransportModule;
let httpMs = 0;
const real = createHttpTransport({});
const transport: Transport = {
  async send(req: OutboundRequest) {
    const s = performance.now();
    const r = await real.send(req);
    httpMs += performance.now() - s;
    return r;
  },
  probe: (u, ms) => real.probe(u, ms),
  close: () => real.close?.() ?? Promise.resolve(),
};
lap('(not part of a send) script set-up');

const node = openNode({ home, env: {}, transport });
lap('openNode: config, registry, identity');
void node.store;
lap('open SQLite + migration check');
const now = node.clock.now();
const composed = composeEnvelope({ self: node.self, selfEntry: node.selfEntry(), keys: node.keys, ids: node.ids, now }, node.peer('beta'), { type: 'notification', body: 'hi' });
lap('compose + HMAC sign (reads the key file)');
const env = composed.envelope;
node.store.outbox.enqueue({
  id: env.id, peer: 'beta', type: env.type, envelope: composed.text, sessionKey: composed.sessionKey,
  createdAt: now, expiresAt: Date.parse(env.timestamp) + env.ttl * 1000, nextAttemptAt: now,
});
node.events.emit({ type: 'message.queued', id: env.id, peer: 'beta', messageType: env.type });
lap('outbox enqueue + queued event');
const outcome = await node.delivery.attempt(env.id);
const attemptMs = performance.now() - t;
phases.push(['HTTP POST to beta, cold process (loads node:http)', httpMs]);
phases.push(['attempt bookkeeping (lease, breaker, audit, events)', attemptMs - httpMs]);
t = performance.now();
if (outcome.status !== 'delivered') throw new Error(`not delivered: ${JSON.stringify(outcome)}`);
// For comparison only (not part of a send): the same POST once the process is warm.
const second = composeEnvelope({ self: node.self, selfEntry: node.selfEntry(), keys: node.keys, ids: node.ids, now }, node.peer('beta'), { type: 'notification', body: 'hi again' });
const warmReq = { url: `${node.peer('beta').baseUrl}/hooks/alpha`, token: node.peer('beta').token, body: JSON.stringify({ message: second.text }), timeoutMs: 10_000 };
const w0 = performance.now();
const warm = await real.send(warmReq);
const warmMs = performance.now() - w0;
if (warm.status !== 202) throw new Error(`warm POST: ${JSON.stringify(warm)}`);
t = performance.now();
await node.close();
await real.close?.();
lap('close node (SQLite, sockets)');
phases.push(['(not part of a send) same POST, warm process', warmMs]);
process.stdout.write(`${JSON.stringify({ phases, endMs: performance.now() })}\n`);
process.exit(0);
