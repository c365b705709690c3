/**
 * `mesh mcp`: this node as an MCP server over stdio, for agents that reach tools through MCP. The MCP
 * SDK is loaded here only (never by `mesh send`). Nothing but protocol messages goes to stdout; the
 * log goes to stderr.
 */
import { realpathSync } from 'node:fs';
import { createJsonLogger } from '../../node/json-logger.ts';
import { openNode } from '../../node/mesh-node.ts';
import { Mesh } from '../../sdk/mesh.ts';
import { cliEntry } from '../cli-entry.ts';
import { flag, type CommandSpec } from '../command.ts';
import { ExitCode } from '../exit-codes.ts';
import { packageVersion } from '../package-version.ts';

export const command: CommandSpec = {
  name: 'mcp',
  summary: 'serve this node to MCP clients over stdio (Claude Code, Cursor, OpenClaw); --print-config',
  usage: ['mcp [--home <dir>]', 'mcp --print-config [--json]'],
  description:
    'An MCP server on stdin/stdout, started by the MCP client: tools send_message, request, reply, fetch_inbox,\n' +
    'ack_message, wait_for_message, rally, conversation_show, consensus, set_verdict, list_peers, fleet_status;\n' +
    'resources mesh://inbox, mesh://inbox/{id}, mesh://conversations, mesh://conversations/{id}. This node\'s\n' +
    '`mesh serve` must run to receive messages and answers. Log lines go to stderr, never stdout.\n' +
    '--print-config prints what to put in the client\'s configuration (Claude Code/Desktop, Cursor, OpenClaw),\n' +
    'with this Node binary, this CLI and this home by absolute path. docs/mcp.md has the details.',
  options: {
    'print-config': { type: 'boolean', description: 'print the MCP client configuration for this node and exit' },
  },
  examples: ['mesh mcp --print-config --home /srv/mesh', 'claude mcp add mesh -- "$(command -v node)" /opt/mesh/dist/cli/bin.js mcp --home /srv/mesh'],
  async run(ctx, args) {
    const node = openNode({ home: ctx.home, env: ctx.env, logger: createJsonLogger(ctx.stderr) });
    if (flag(args, 'print-config')) {
      try {
        const { clientConfigs, configText } = await import('../../mcp/client-config.ts');
        const spec = { nodePath: process.execPath, cliEntry: realpathSync(cliEntry()), home: realpathSync(node.layout.home) };
        if (ctx.out.json) ctx.out.data(clientConfigs(spec));
        else ctx.stdout.write(configText(spec));
        return ExitCode.Ok;
      } finally {
        await node.close();
      }
    }
    const mesh = Mesh.fromNode(node);
    try {
      const { serveMcpStdio } = await import('../../mcp/serve-stdio.ts');
      await serveMcpStdio(mesh, { version: packageVersion(), logger: node.logger, signal: ctx.signal });
      return ExitCode.Ok;
    } finally {
      await mesh.close();
      await node.close();
    }
  },
};
