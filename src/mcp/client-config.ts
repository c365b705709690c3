/**
 * `mesh mcp --print-config`: how MCP clients start this server, with the Node binary and the CLI
 * entry by absolute path (a client's PATH may hold another Node, or none) and the node's home pinned.
 */
export interface LaunchSpec {
  /** Absolute path of the Node (≥ 24.12) binary. */
  nodePath: string;
  /** Absolute path of the CLI entry (dist/cli/bin.js, or src/cli/bin.ts in a source checkout). */
  cliEntry: string;
  home: string;
}

export function serverEntry(s: LaunchSpec): { command: string; args: string[] } {
  return { command: s.nodePath, args: [s.cliEntry, 'mcp', '--home', s.home] };
}

/** The snippets, keyed by client. */
export function clientConfigs(s: LaunchSpec): Record<string, unknown> {
  const entry = serverEntry(s);
  return {
    // Claude Code (.mcp.json in a project, or `claude mcp add-json mesh '<entry>'`), Claude Desktop
    // (claude_desktop_config.json) and Cursor (~/.cursor/mcp.json or .cursor/mcp.json) share this shape.
    mcpServers: { mesh: entry },
    // OpenClaw's MCP client: ~/.openclaw/openclaw.json, key mcp.servers.
    openclaw: { mcp: { servers: { mesh: entry } } },
  };
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export function configText(s: LaunchSpec): string {
  const entry = serverEntry(s);
  const c = clientConfigs(s);
  return [
    '# Claude Code, Claude Desktop (claude_desktop_config.json), Cursor (~/.cursor/mcp.json): add under "mcpServers"',
    JSON.stringify({ mcpServers: c['mcpServers'] === undefined ? {} : (c['mcpServers'] as Record<string, unknown>) }, null, 2),
    '',
    '# or, for Claude Code, in one command:',
    `claude mcp add mesh -- ${[entry.command, ...entry.args].map(q).join(' ')}`,
    '',
    '# OpenClaw (its MCP client): ~/.openclaw/openclaw.json, under "mcp" → "servers"',
    JSON.stringify(c['openclaw'], null, 2),
    '',
  ].join('\n');
}
