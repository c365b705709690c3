/**
 * The command table. Modules are imported only when their command runs, so `mesh send` does not pay
 * for loading `mesh serve`.
 */
import type { CommandSpec } from '../command.ts';

export interface CommandEntry {
  name: string;
  summary: string;
  group: string;
  load: () => Promise<CommandSpec>;
}

export const commands: CommandEntry[] = [
  { name: 'init', group: 'Set up', summary: 'create a node home: identity, registry, keys, database', load: async () => (await import('./init.ts')).command },
  { name: 'join', group: 'Set up', summary: 'add or update a peer in the registry; --show prints how peers add this node', load: async () => (await import('./join.ts')).command },
  { name: 'peers', group: 'Set up', summary: 'list the agents this node can reach: names, roles, addresses (never tokens)', load: async () => (await import('./peers.ts')).command },
  { name: 'peer', group: 'Set up', summary: 'peers in the registry: list | show <name> | remove <name>', load: async () => (await import('./peer.ts')).command },
  { name: 'group', group: 'Set up', summary: 'groups of peers for @group sends: list | add | remove', load: async () => (await import('./group.ts')).command },
  { name: 'keygen', group: 'Set up', summary: 'HMAC signing keys per peer: <peer> | --all | --status | --show <peer>', load: async () => (await import('./keygen.ts')).command },
  { name: 'crypt', group: 'Set up', summary: 'encryption keys and manual encrypt/decrypt (bash mesh-crypt compatible)', load: async () => (await import('./crypt.ts')).command },
  { name: 'send', group: 'Messages', summary: 'send a message to an agent, a @group or all', load: async () => (await import('./send.ts')).command },
  { name: 'request', group: 'Messages', summary: 'send a request and wait for the correlated response', load: async () => (await import('./request.ts')).command },
  { name: 'reply', group: 'Messages', summary: 'answer a received request (to its replyTo, correlationId set)', load: async () => (await import('./reply.ts')).command },
  { name: 'receive', group: 'Messages', summary: 'verify and record an envelope given directly (direct topology)', load: async () => (await import('./receive.ts')).command },
  { name: 'inbox', group: 'Messages', summary: 'list received messages (--unread, --follow)', load: async () => (await import('./inbox.ts')).command },
  { name: 'track', group: 'Messages', summary: 'request tracking: status | summary | check <id>', load: async () => (await import('./track.ts')).command },
  { name: 'queue', group: 'Delivery', summary: 'outbox: status | drain [agent] | purge [agent]', load: async () => (await import('./queue.ts')).command },
  { name: 'dlq', group: 'Delivery', summary: 'dead letters: list | show <id> | replay [id|--agent a] | purge', load: async () => (await import('./dlq.ts')).command },
  { name: 'export', group: 'Delivery', summary: 'export the audit trail as JSON or CSV with filters', load: async () => (await import('./export.ts')).command },
  { name: 'openclaw', group: 'Daemon', summary: 'connect this node to a local OpenClaw gateway: setup', load: async () => (await import('./openclaw.ts')).command },
  { name: 'serve', group: 'Daemon', summary: 'run the node daemon: receiver, outbox worker, scheduler', load: async () => (await import('./serve.ts')).command },
  { name: 'status', group: 'Fleet', summary: 'the fleet at a glance: peers, latency, circuits, routes, relay, queue (--compact, --json, --watch)', load: async () => (await import('./status.ts')).command },
  { name: 'discover', group: 'Fleet', summary: 'peer health and relay failover: status | probe | routes | elect', load: async () => (await import('./discover.ts')).command },
];
