/** Runs a command body against the node of the resolved home and always closes it (database, sockets). */
import { openNode, type MeshNode } from '../node/mesh-node.ts';
import type { CliContext } from './command.ts';

export interface SessionOptions {
  /** The command only reads: open the database read-only (works where it cannot be written). */
  readOnly?: boolean;
}

export async function withNode<T>(ctx: CliContext, fn: (node: MeshNode) => Promise<T> | T, o: SessionOptions = {}): Promise<T> {
  const node = openNode({ home: ctx.home, env: ctx.env, readOnly: o.readOnly === true });
  try {
    return await fn(node);
  } finally {
    await node.close();
  }
}
