import { ensureApiToken, rotateApiToken } from '../../node/api-token.ts';
import { layoutOf, resolveAgentName, resolveHome, type HomeLayout } from '../../node/home.ts';
import { isLoopbackHost } from '../../node/listen-address.ts';
import { DEFAULT_API_PORT } from '../../node/config/api-config.ts';
import { loadNodeConfig } from '../../node/node-config.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { flag, type CliContext, type CommandSpec } from '../command.ts';
import { ExitCode } from '../exit-codes.ts';
import { noMoreArgs, subcommand } from '../subcommand.ts';

function homeOf(ctx: CliContext): HomeLayout {
  const layout = layoutOf(resolveHome(ctx.home, ctx.env));
  if (resolveAgentName(layout, ctx.env) === null) {
    throw new MeshError(MeshErrorCode.NotInitialized, `no MESH node at ${layout.home}: run \`mesh init --agent <name>\``);
  }
  return layout;
}

/** Where `mesh serve` puts the API by this home's configuration (flags may change it). */
function configuredApi(layout: HomeLayout, env: NodeJS.ProcessEnv): { url: string; enabled: boolean; tokenRequired: boolean } {
  const api = loadNodeConfig(layout.configFile, env).api;
  const host = api.host.includes(':') ? `[${api.host}]` : api.host;
  return { url: `http://${host}:${api.port ?? DEFAULT_API_PORT}`, enabled: api.enabled, tokenRequired: !isLoopbackHost(api.host) || api.requireToken };
}

export const command: CommandSpec = {
  name: 'api',
  summary: 'the local HTTP API of mesh serve: url | token [--rotate]',
  usage: ['api url', 'api token [--rotate]'],
  description:
    '`mesh serve` serves a JSON API, a live event stream and the dashboard on 127.0.0.1:8880 (docs/api.md).\n' +
    'On loopback it needs no token; bound to any other address (config/mesh.json api.host) or with\n' +
    'api.requireToken, every request needs `Authorization: Bearer <token>`. `url` prints where the API\n' +
    'listens by this home\'s configuration. `token` prints the API token (config/api-token, mode 600; made\n' +
    'now if the home has none); `--rotate` replaces it, and the running daemon refuses the old one from its\n' +
    'next request. The API token is not the hook token peers use, and neither opens the other.',
  options: {
    rotate: { type: 'boolean', description: 'with token: make a new token (the old one stops working)' },
  },
  examples: ['mesh api url', 'curl -H "Authorization: Bearer $(mesh api token)" "$(mesh api url)/api/mesh"', 'mesh api token --rotate'],
  async run(ctx, args) {
    const { sub, rest } = subcommand('api', args.positionals, ['url', 'token'] as const, 'url');
    noMoreArgs(`api ${sub}`, rest);
    const layout = homeOf(ctx);
    const { out } = ctx;
    if (sub === 'url') {
      if (flag(args, 'rotate')) throw new MeshError(MeshErrorCode.InvalidArgument, '--rotate goes with `mesh api token`');
      const api = configuredApi(layout, ctx.env);
      if (out.json) out.data({ ok: true, ...api });
      else {
        if (!api.enabled) out.warn('the API is off in config/mesh.json (api.enabled: false); mesh serve --api-port <n> turns it on');
        out.line(api.url);
      }
      return ExitCode.Ok;
    }
    const rotated = flag(args, 'rotate');
    const made = rotated ? { token: rotateApiToken(layout), created: true } : ensureApiToken(layout);
    if (out.json) out.data({ ok: true, token: made.token, created: made.created, rotated, file: layout.apiTokenFile });
    else {
      if (rotated) out.info('new API token made; the old one no longer works');
      else if (made.created) out.info(`API token made: ${layout.apiTokenFile}`);
      out.line(made.token);
    }
    return ExitCode.Ok;
  },
};
