/**
 * `mesh mcp`: the MCP server over this process's stdin/stdout. stdout carries protocol messages only
 * (logs go to the logger, which the CLI points at stderr). Ends when the client closes stdin or
 * `signal` aborts.
 */
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { Logger } from '../ports/logger.ts';
import type { Mesh } from '../sdk/mesh.ts';
import { createMcpServer } from './mcp-server.ts';

export async function serveMcpStdio(mesh: Mesh, o: { version: string; logger: Logger; signal: AbortSignal }): Promise<void> {
  const ended = new Promise<void>((resolve) => {
    if (o.signal.aborted) resolve();
    o.signal.addEventListener('abort', () => resolve(), { once: true });
    process.stdin.once('end', () => resolve());
    process.stdin.once('close', () => resolve());
  });
  const handle = serveStdio(() => createMcpServer(mesh, o), {
    onerror: (e) => o.logger.warn('mcp transport error', { error: e.name, message: e.message }),
  });
  o.logger.info('mcp server on stdio', { agent: mesh.agent });
  await ended;
  await handle.close();
}
