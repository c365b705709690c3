import { openNode } from '../../node/mesh-node.ts';
import { setupOpenClaw } from '../../node/openclaw/setup.ts';
import { shellQuote } from '../../node/shell-quote.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { cliEntry } from '../cli-entry.ts';
import { flag, str, type CommandSpec } from '../command.ts';
import { ExitCode } from '../exit-codes.ts';

export const command: CommandSpec = {
  name: 'openclaw',
  summary: 'connect this node to a local OpenClaw gateway: setup',
  usage: ['openclaw setup [--gateway-url <url>] [--hook-token <t>] [--workspace <dir>] [--agents-md] [--openclaw-config <file>]'],
  description:
    'Sidecar topology: peers post to `mesh serve`, which verifies and forwards to the gateway\'s /hooks/agent.\n' +
    'This writes config/mesh.json (hand-off "openclaw"), the workspace skill skills/mesh/SKILL.md (how to\n' +
    'read, answer and send MESH messages), optionally an AGENTS.md snippet, and prints (or merges with\n' +
    '--openclaw-config) what the gateway needs: hooks.enabled, hooks.token, allowRequestSessionKey,\n' +
    'allowedSessionKeyPrefixes ["hook:"] and tools.exec.pathPrepend = ["<home>/bin"].\n' +
    '<home>/bin/mesh is a generated wrapper: it runs this Node by absolute path (the agent\'s PATH may\n' +
    'hold an older node) with MESH_HOME set to this node, and setup runs it (--version, inbox) before\n' +
    'writing anything else; it fails if the wrapper does not work. Run setup again after moving MESH or\n' +
    'changing Node. Restart `mesh serve` and the gateway afterwards.',
  options: {
    'gateway-url': { type: 'string', placeholder: 'url', description: 'the local gateway (default http://127.0.0.1:18789)' },
    'hook-token': { type: 'string', placeholder: 'token', description: 'the gateway\'s hooks.token (generated if omitted)' },
    workspace: { type: 'string', placeholder: 'dir', description: 'agent workspace (default ~/.openclaw/workspace): the skill goes there' },
    'agents-md': { type: 'boolean', description: 'append the MESH snippet to <workspace>/AGENTS.md' },
    'openclaw-config': { type: 'string', placeholder: 'file', description: 'merge the gateway settings into this openclaw.json' },
  },
  examples: ['mesh openclaw setup --workspace ~/.openclaw/workspace --agents-md --openclaw-config ~/.openclaw/openclaw.json'],
  async run(ctx, args) {
    const sub = args.positionals[0];
    if (sub !== 'setup') throw new MeshError(MeshErrorCode.InvalidArgument, 'usage: mesh openclaw setup [options] (see mesh openclaw --help)');
    const node = openNode({ home: ctx.home, env: ctx.env });
    try {
      const home = ctx.env['HOME'] ?? '';
      const r = await setupOpenClaw(node, {
        gatewayUrl: str(args, 'gateway-url') ?? 'http://127.0.0.1:18789',
        hookToken: str(args, 'hook-token'),
        workspace: str(args, 'workspace') ?? (home ? `${home}/.openclaw/workspace` : undefined),
        nodePath: process.execPath,
        cliEntry: cliEntry(),
        writeAgentsMd: flag(args, 'agents-md'),
        openclawConfig: str(args, 'openclaw-config'),
      });
      const { out } = ctx;
      if (out.json) {
        out.data({ ok: true, ...r });
        return ExitCode.Ok;
      }
      out.line(`${out.style('green', '✓')} agent's mesh: ${r.meshWrapper} (ran it: version ${r.meshVersion}; exec PATH gets ${r.meshBinDir})`);
      out.line(`${out.style('green', '✓')} ${r.nodeConfigFile}: verified messages are forwarded to the gateway`);
      if (r.skillFile) out.line(`${out.style('green', '✓')} skill written: ${r.skillFile}`);
      if (r.agentsMdFile) out.line(`${out.style('green', '✓')} AGENTS.md updated: ${r.agentsMdFile}`);
      if (r.openclawConfigFile) out.line(`${out.style('green', '✓')} merged gateway settings into ${r.openclawConfigFile}`);
      else {
        out.line('');
        out.line('Add this to your openclaw.json. hooks.token is a secret, so it is not shown: set it to what this prints:');
        out.line(`  jq -r .openclaw.hookToken ${shellQuote(r.hookTokenFile)}`);
        out.line(JSON.stringify(r.gatewayConfig, null, 2));
      }
      if (!r.agentsMdFile) {
        out.line('');
        out.line('Suggested AGENTS.md snippet (or re-run with --agents-md):');
        out.line(r.agentsMd);
      }
      out.line('Then restart `mesh serve` (and the gateway if you changed its config).');
      return ExitCode.Ok;
    } finally {
      await node.close();
    }
  },
};
