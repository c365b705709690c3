/**
 * An MCP client session against the real `mesh mcp` of a node: the MCP SDK's own Client over
 * StdioClientTransport, which spawns `node src/cli/bin.ts mcp --home <home>`. Every exchange is kept
 * (request and response) so a test can write a transcript; the server's stderr is collected.
 */
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { childEnv, MESH_BIN } from './mesh-process.ts';

export interface Exchange {
  request: { method: string; params: unknown };
  response: unknown;
}

export class McpSession {
  readonly client: Client;
  readonly transport: StdioClientTransport;
  readonly exchanges: Exchange[] = [];
  stderr = '';

  private constructor(client: Client, transport: StdioClientTransport) {
    this.client = client;
    this.transport = transport;
  }

  static async open(home: string): Promise<McpSession> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [MESH_BIN, 'mcp', '--home', home],
      env: childEnv() as Record<string, string>,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'mesh-test-client', version: '1.0.0' });
    const session = new McpSession(client, transport);
    transport.stderr?.on('data', (c: Buffer) => (session.stderr += c.toString('utf8')));
    await client.connect(transport);
    return session;
  }

  async record<T>(method: string, params: unknown, run: () => Promise<T>): Promise<T> {
    try {
      const response = await run();
      this.exchanges.push({ request: { method, params }, response });
      return response;
    } catch (e) {
      this.exchanges.push({ request: { method, params }, response: { error: { code: (e as { code?: unknown }).code, message: (e as Error).message } } });
      throw e;
    }
  }

  call(name: string, args: Record<string, unknown> = {}, timeoutMs = 120_000): Promise<CallToolResult> {
    const params = { name, arguments: args };
    return this.record('tools/call', params, async () => (await this.client.callTool(params, { timeout: timeoutMs })) as CallToolResult);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** The structured content of a tool result, as a plain record. */
export function data(r: CallToolResult): Record<string, unknown> {
  return (r.structuredContent ?? {}) as Record<string, unknown>;
}

/** The MESH error code of a tool error. */
export function errorCode(r: CallToolResult): unknown {
  return (data(r)['error'] as { code?: unknown } | undefined)?.code;
}
