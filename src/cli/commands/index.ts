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
  { name: 'rally', group: 'Conversations', summary: 'ask several agents one question; follow-up rounds share their answers', load: async () => (await import('./rally.ts')).command },
  { name: 'converse', group: 'Conversations', summary: 'a conversation of a given type: collab, escalation, broadcast, opinion, brainstorm', load: async () => (await import('./converse.ts')).command },
  { name: 'conv', group: 'Conversations', summary: 'conversations: list | show | context | search | complete | close | cancel | timeout | cleanup | stats', load: async () => (await import('./conv.ts')).command },
  { name: 'consensus', group: 'Conversations', summary: 'the consensus of a round: <conv_id> [--round n] | set <conv_id> <verdict> [summary]', load: async () => (await import('./consensus.ts')).command },
  { name: 'session', group: 'Conversations', summary: 'collaborative sessions keyed by session.key: start | send | receive | context | list | close | cleanup', load: async () => (await import('./session.ts')).command },
  { name: 'status', group: 'Fleet', summary: 'the fleet at a glance: peers, latency, circuits, routes, relay, queue (--compact, --json, --watch)', load: async () => (await import('./status.ts')).command },
  { name: 'discover', group: 'Fleet', summary: 'peer health and relay failover: status | probe | routes | elect', load: async () => (await import('./discover.ts')).command },
  { name: 'dedup', group: 'Fleet', summary: 'de-duplicate an alert: prints new | suppressed | escalate | recovery', load: async () => (await import('./dedup.ts')).command },
  { name: 'incidents', group: 'Fleet', summary: 'incidents from alert de-duplication: list [--all] | resolve <id>', load: async () => (await import('./incidents.ts')).command },
  { name: 'brain-sync', group: 'Delivery', summary: 'post new audit entries and conversation events to a Brain ingest URL, once each', load: async () => (await import('./brain-sync.ts')).command },
  { name: 'api', group: 'Daemon', summary: 'the local HTTP API of mesh serve: url | token [--rotate]', load: async () => (await import('./api.ts')).command },
  { name: 'mcp', group: 'Daemon', summary: 'serve this node to MCP clients over stdio (Claude Code, Cursor, OpenClaw); --print-config', load: async () => (await import('./mcp.ts')).command },
];
