/**
 * Child script: does what `mesh send beta notification hi --home <home>` does, with the built dist/
 * modules, timing each phase, and prints {phases: [[name, ms], ...], endMs} as one JSON line.
 * Usage: node bench/support/send-phases.ts <alpha home>
 * The third-party and built-in modules are imported first on purpose, to attribute their load time.
 */
import type * as ComposeModule from '../../src/node/compose.ts';
import type * as MeshNodeModule from '../../src/node/mesh-node.ts';
import type { OutboundRequest, Transport } from '../../src/ports/transport.ts';
import type * as HttpTransportModule from '../../src/transports/http/http-transport.ts';

const bootMs = performance.now(); // time since the process started: Node's own start-up
const home = process.argv[2];
if (home === undefined) throw new Error('usage: send-phases.ts <home>');
const dist = new URL('../../dist/', import.meta.url);
const phases: [string, number][] = [['(script start-up: node + TypeScript stripping of this .ts file; not part of a send)', bootMs]];
let t = performance.now();
const lap = (name: string): void => {
  const now = performance.now();
  phases.push([name, now - t]);
  t = now;
};

await import('zod');
lap('import zod (via inbound pipeline → envelope-schema)');
await import('node:http');
lap('import node:http as ESM (its namespace reads lazy getters that load undici)');
await import('node:https');
lap('import node:https');
await import('node:sqlite');
lap('import node:sqlite');
await import(new URL('cli/main.js', dist).href);
lap('import cli/main.js (dispatcher)');
await import(new URL('cli/commands/send.js', dist).href);
lap('import the rest of the send.js module graph');
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
lap('(already loaded modules)');

const node = openNode({ home, env: {}, transport });
lap('openNode: config, registry, identity');
void node.store;
lap('open SQLite + migration check');
const now = node.clock.now();
const composed = composeEnvelope({ self: node.self, selfEntry: node.selfEntry(), keys: node.keys, ids: node.ids, now }, node.peer('beta'), { type: 'notification', body: 'hi' });
lap('compose + HMAC sign (key file read)');
const env = composed.envelope;
node.store.outbox.enqueue({
  id: env.id, peer: 'beta', type: env.type, envelope: composed.text, sessionKey: composed.sessionKey,
  createdAt: now, expiresAt: Date.parse(env.timestamp) + env.ttl * 1000, nextAttemptAt: now,
});
node.events.emit({ type: 'message.queued', id: env.id, peer: 'beta', messageType: env.type });
lap('outbox enqueue + queued event');
const outcome = await node.delivery.attempt(env.id);
const attemptMs = performance.now() - t;
phases.push(['HTTP POST to beta (transport.send, incl. connect)', httpMs]);
phases.push(['attempt bookkeeping: lease, breaker, mark delivered, audit, events', attemptMs - httpMs]);
t = performance.now();
if (outcome.status !== 'delivered') throw new Error(`not delivered: ${JSON.stringify(outcome)}`);
await node.close();
await real.close?.();
lap('close node');
process.stdout.write(`${JSON.stringify({ phases, endMs: performance.now() })}\n`);
process.exit(0);
