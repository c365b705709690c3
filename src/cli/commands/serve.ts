import { readFileSync } from 'node:fs';
import { createJsonLogger } from '../../node/json-logger.ts';
import { openNode, type MeshNode } from '../../node/mesh-node.ts';
import { DEFAULT_API_PORT } from '../../node/config/api-config.ts';
import { isMeshError, MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { startDaemon, type DaemonApiOptions } from '../../server/daemon.ts';
import { flag, str, type CommandSpec, type ParsedArgs } from '../command.ts';
import { ExitCode } from '../exit-codes.ts';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

function portOf(text: string, what: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new MeshError(MeshErrorCode.InvalidArgument, `${what} must be 0-65535, got "${text}"`);
  return port;
}

/** Where the local API listens, from --api-port / --no-api and config/mesh.json `api`; null: off. */
function apiOptions(node: MeshNode, args: ParsedArgs): DaemonApiOptions | null {
  const portText = str(args, 'api-port');
  if (flag(args, 'no-api')) {
    if (portText !== undefined) throw new MeshError(MeshErrorCode.InvalidArgument, '--no-api and --api-port contradict each other: give one');
    return null;
  }
  const cfg = node.config.api;
  if (portText === undefined && !cfg.enabled) return null;
  const port = portText !== undefined ? portOf(portText, '--api-port') : cfg.port ?? DEFAULT_API_PORT;
  return { host: cfg.host, port, explicit: portText !== undefined || cfg.port !== null };
}

export const command: CommandSpec = {
  name: 'serve',
  summary: 'run the node daemon: receiver, outbox worker, hand-off, housekeeping',
  usage: ['serve [--host <addr>] [--port <n>] [--api-port <n> | --no-api] [--log-level debug|info|warn|error]'],
  description:
    'One daemon per node, no cron. It receives POST /hooks/<sender> and /hooks/agent (bearer token = this\n' +
    'node\'s registry token), verifies and records every message, hands it to the local agent as configured in\n' +
    'config/mesh.json (inbox, handler command or OpenClaw gateway; MESH_HANDLER=<executable> selects the\n' +
    'handler), retries the outbox and replays dead letters when peers recover. Binds 127.0.0.1:18790 unless\n' +
    'config or flags say otherwise. Logs are JSON lines on stderr. SIGINT/SIGTERM stop it without losing work.\n' +
    'It also serves the local HTTP API, live event stream and dashboard on 127.0.0.1:8880 (config/mesh.json\n' +
    '`api`; docs/api.md): loopback needs no token, any other address needs the API token (`mesh api token`).\n' +
    'When the default API port is taken (another node on this host) the API is skipped with a warning.',
  options: {
    host: { type: 'string', placeholder: 'addr', description: 'listen address (default from config/mesh.json: 127.0.0.1)' },
    port: { type: 'string', placeholder: 'n', description: 'listen port (default from config/mesh.json: 18790; 0 = any free port)' },
    'api-port': { type: 'string', placeholder: 'n', description: 'port of the local API and dashboard (default from config/mesh.json: 8880; 0 = any free port)' },
    'no-api': { type: 'boolean', description: 'do not start the local API and dashboard' },
    'log-level': { type: 'string', placeholder: 'level', description: 'debug, info (default), warn or error' },
  },
  examples: ['mesh serve', 'MESH_HANDLER=./answer.sh mesh serve --port 18791 --api-port 8881', 'mesh serve --no-api'],
  async run(ctx, args) {
    const level = str(args, 'log-level') ?? 'info';
    if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new MeshError(MeshErrorCode.InvalidArgument, `--log-level must be debug, info, warn or error`);
    const logger = createJsonLogger(ctx.stderr, level as 'info');
    const node = openNode({ home: ctx.home, env: ctx.env, logger });
    const host = str(args, 'host') ?? node.config.serve.host;
    let api: DaemonApiOptions | null;
    let port: number;
    try {
      const portText = str(args, 'port');
      port = portText === undefined ? node.config.serve.port : portOf(portText, '--port');
      api = apiOptions(node, args);
    } catch (e) {
      await node.close();
      throw e;
    }
    if (!LOOPBACK.has(host)) ctx.out.warn(`listening on ${host}: reachable from other hosts; keep the hook token secret and prefer signed peers`);
    if (api !== null && !LOOPBACK.has(api.host)) ctx.out.warn(`the local API listens on ${api.host}: every request needs the API token (mesh api token)`);
    let daemon: Awaited<ReturnType<typeof startDaemon>>;
    try {
      daemon = await startDaemon(node, { host, port, version: version(), api });
    } catch (e) {
      await node.close();
      if (isMeshError(e) && e.code === MeshErrorCode.AddressInUse) {
        throw new MeshError(e.code, `${e.message}: another mesh serve? choose --port / --api-port (or serve.port / api.port in config/mesh.json)`, { cause: e });
      }
      throw e;
    }
    if (daemon.apiSkipped !== null) ctx.out.warn(daemon.apiSkipped);
    const where = `http://${daemon.host.includes(':') ? `[${daemon.host}]` : daemon.host}:${daemon.port}`;
    const apiUrl = daemon.api?.url ?? null;
    if (ctx.out.json) ctx.out.line(JSON.stringify({ event: 'listening', agent: node.self, url: where, api: apiUrl, pid: process.pid }));
    else {
      const apiText = apiUrl === null ? '' : `; API and dashboard on ${apiUrl}`;
      ctx.out.line(`mesh serve: agent ${node.self} listening on ${where} (hand-off: ${node.config.inbound.handOff})${apiText}; Ctrl-C to stop`);
    }
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await daemon.stop();
    return ExitCode.Ok;
  },
};
