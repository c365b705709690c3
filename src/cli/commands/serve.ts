import { readFileSync } from 'node:fs';
import { createJsonLogger } from '../../node/json-logger.ts';
import { openNode } from '../../node/mesh-node.ts';
import { isMeshError, MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { startDaemon } from '../../server/daemon.ts';
import { str, type CommandSpec } from '../command.ts';
import { ExitCode } from '../exit-codes.ts';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

export const command: CommandSpec = {
  name: 'serve',
  summary: 'run the node daemon: receiver, outbox worker, hand-off, housekeeping',
  usage: ['serve [--host <addr>] [--port <n>] [--log-level debug|info|warn|error]'],
  description:
    'One daemon per node, no cron. It receives POST /hooks/<sender> and /hooks/agent (bearer token = this\n' +
    'node\'s registry token), verifies and records every message, hands it to the local agent as configured in\n' +
    'config/mesh.json (inbox, handler command or OpenClaw gateway; MESH_HANDLER=<executable> selects the\n' +
    'handler), retries the outbox and replays dead letters when peers recover. Binds 127.0.0.1:18790 unless\n' +
    'config or flags say otherwise. Logs are JSON lines on stderr. SIGINT/SIGTERM stop it without losing work.',
  options: {
    host: { type: 'string', placeholder: 'addr', description: 'listen address (default from config/mesh.json: 127.0.0.1)' },
    port: { type: 'string', placeholder: 'n', description: 'listen port (default from config/mesh.json: 18790; 0 = any free port)' },
    'log-level': { type: 'string', placeholder: 'level', description: 'debug, info (default), warn or error' },
  },
  examples: ['mesh serve', 'MESH_HANDLER=./answer.sh mesh serve --port 18791'],
  async run(ctx, args) {
    const level = str(args, 'log-level') ?? 'info';
    if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new MeshError(MeshErrorCode.InvalidArgument, `--log-level must be debug, info, warn or error`);
    const logger = createJsonLogger(ctx.stderr, level as 'info');
    const node = openNode({ home: ctx.home, env: ctx.env, logger });
    const host = str(args, 'host') ?? node.config.serve.host;
    const portText = str(args, 'port');
    const port = portText === undefined ? node.config.serve.port : Number(portText);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new MeshError(MeshErrorCode.InvalidArgument, `--port must be 0-65535, got "${portText}"`);
    if (!LOOPBACK.has(host)) ctx.out.warn(`listening on ${host}: reachable from other hosts; keep the hook token secret and prefer signed peers`);
    let daemon: Awaited<ReturnType<typeof startDaemon>>;
    try {
      daemon = await startDaemon(node, { host, port, version: version() });
    } catch (e) {
      await node.close();
      if (isMeshError(e) && e.code === MeshErrorCode.AddressInUse) {
        throw new MeshError(e.code, `${e.message}: another mesh serve? choose --port (or serve.port in config/mesh.json)`, { cause: e });
      }
      throw e;
    }
    const where = `http://${daemon.host.includes(':') ? `[${daemon.host}]` : daemon.host}:${daemon.port}`;
    if (ctx.out.json) ctx.out.line(JSON.stringify({ event: 'listening', agent: node.self, url: where, pid: process.pid }));
    else ctx.out.line(`mesh serve: agent ${node.self} listening on ${where} (hand-off: ${node.config.inbound.handOff}); Ctrl-C to stop`);
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await daemon.stop();
    return ExitCode.Ok;
  },
};
