/** The fleet tools: list_peers, fleet_status. */
import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { Mesh } from '../sdk/mesh.ts';
import { runTool, toolResult } from './tool-result.ts';
import type { OnInternal } from './tools-messages.ts';

export function registerFleetTools(server: McpServer, mesh: Mesh, onInternal: OnInternal): void {
  server.registerTool('list_peers', {
    title: 'List the agents you can reach',
    description: 'The agents of the fleet this node can message: name, role, address, signing/encryption, @groups. Never tokens.',
    inputSchema: z.object({}),
    annotations: { readOnlyHint: true },
  }, () => runTool(() => {
    const v = mesh.peers();
    return toolResult(`this node is ${v.self.name}; ${v.peers.length} peer(s): ${v.peers.map((p) => p.name).join(', ') || 'none'}`, { ...v });
  }, onInternal));

  server.registerTool('fleet_status', {
    title: 'Fleet status',
    description:
      'This node and its peers at a glance: each peer\'s health from the last probe, circuit breaker, queued messages and dead letters; ' +
      'totals; open circuits; and under fleet what `mesh status` shows (peer up/down, latency, route, hub, relay and epoch, message counts, recent messages).',
    inputSchema: z.object({}),
    annotations: { readOnlyHint: true },
  }, () => runTool(() => {
    const s = mesh.status();
    // A recent message's subject was written by its sender: it goes under `untrusted`.
    const recent = s.fleet.recent.map(({ subject, ...r }) => ({ ...r, untrusted: { subject } }));
    const summary = `${s.agent}: ${s.peers.length} peer(s), ${s.queue.total} queued, ${s.deadLetters.total} dead letter(s), ${s.circuits.length} circuit(s) not closed`;
    return toolResult(summary, { ...s, fleet: { ...s.fleet, recent } }, { untrusted: recent.length > 0 });
  }, onInternal));
}
