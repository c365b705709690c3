/**
 * Marks received messages read and says so on the event log (`message.read`, in the same
 * transaction), so every open dashboard and event-stream client sees an acknowledgement made
 * anywhere: the API, the CLI, the SDK, the MCP server, a request that got its answer. Returns the ids
 * that were unread until now (already read ones emit nothing).
 */
import type { MeshNode } from './mesh-node.ts';

export function acknowledgeMessages(node: MeshNode, ids: readonly string[], now: number): string[] {
  return node.store.transaction(() => {
    const newly: string[] = [];
    for (const id of new Set(ids)) {
      if (node.store.inbox.markRead([id], now) === 0) continue;
      node.events.emit({ type: 'message.read', id });
      newly.push(id);
    }
    return newly;
  });
}
