/** Runs a command body against the node of the resolved home and always closes it (database, sockets). */
import { openNode, type MeshNode } from '../node/mesh-node.ts';
import type { CliContext } from './command.ts';

export async function withNode<T>(ctx: CliContext, fn: (node: MeshNode) => Promise<T> | T): Promise<T> {
  const node = openNode({ home: ctx.home, env: ctx.env });
  try {
    return await fn(node);
  } finally {
    await node.close();
  }
}
