import { awaitResponse } from '../../node/await-response.ts';
import { openNode } from '../../node/mesh-node.ts';
import { sendMessage } from '../../node/send-message.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { str, type CommandSpec } from '../command.ts';
import { ExitCode } from '../exit-codes.ts';
import { describe, draftFromArgs, messageOptions } from './send.ts';

/**
 * `a,b`, `all` and `@group` name several agents (a group may grow, so it counts as several even with
 * one member today). A request waits for one answer; asking several is a rally's job.
 */
function namesSeveral(target: string): boolean {
  const t = target.trim();
  return t === 'all' || t.startsWith('@') || new Set(t.split(/[\s,]+/).filter(Boolean)).size > 1;
}

export const command: CommandSpec = {
  name: 'request',
  summary: 'send a request and wait for the correlated response',
  usage: ['request <agent> <message> [--wait <seconds>] [send options]'],
  description:
    'Sends a `request` (durable, signed as the registry says) and blocks until the response with\n' +
    'correlationId = the request id reaches this node, then prints its body (or JSON with --json).\n' +
    'Responses arrive through this node\'s `mesh serve`, which must be running. Exit 0 with the answer,\n' +
    '13 when none came in time, 11 when the request was dead-lettered. One agent only: several targets\n' +
    '(a,b, all, @group) are refused with exit 2 (asking several agents and collecting their answers is `mesh rally`).',
  options: {
    ...messageOptions,
    wait: { type: 'string', placeholder: 'seconds', description: 'how long to wait for the response (default 120)' },
  },
  examples: ['mesh request beta "How many active records in orders?" --wait 60'],
  async run(ctx, args) {
    const [target, ...rest] = args.positionals;
    if (!target || rest.length === 0) throw new MeshError(MeshErrorCode.InvalidArgument, 'usage: mesh request <agent> <message> [--wait <seconds>]');
    if (namesSeveral(target)) {
      throw new MeshError(
        MeshErrorCode.InvalidArgument,
        `mesh request asks one agent and waits for its answer, but "${target}" names several: ` +
          `use \`mesh rally "<question>" --agents ${target.trim().split(/[\s,]+/).filter(Boolean).join(',')} --wait 60\` to ask several agents and collect their answers, ` +
          `or \`mesh send ${target} request <message>\` to send without waiting`,
      );
    }
    const waitText = str(args, 'wait') ?? '120';
    const seconds = Number(waitText);
    if (!Number.isFinite(seconds) || seconds <= 0) throw new MeshError(MeshErrorCode.InvalidArgument, `--wait takes seconds, got "${waitText}"`);
    const node = openNode({ home: ctx.home, env: ctx.env });
    try {
      const draft = draftFromArgs(ctx, args, node, target);
      const [result] = await sendMessage(node, { ...draft, target, type: 'request', body: rest.join(' ') });
      if (!result) throw new MeshError(MeshErrorCode.UnknownAgent, `no target "${target}"`);
      if (result.status === 'dry_run') {
        ctx.out.data(result.envelope);
        return ExitCode.Ok;
      }
      ctx.stderr.write(`${describe(ctx.out, result, Date.now())}\n`);
      if (result.status === 'error' || result.status === 'dead_lettered' || result.status === 'expired' || result.id === null) {
        if (ctx.out.json) ctx.out.data({ ok: false, request: result });
        return result.status === 'dead_lettered' ? ExitCode.DeadLettered : result.status === 'expired' ? ExitCode.Expired : ExitCode.Error;
      }
      let lastShown = -1;
      const response = await awaitResponse(node, result.id, seconds * 1000, ctx.signal, (ms, state) => {
        const s = Math.floor(ms / 5000) * 5;
        if (s !== lastShown && s > 0) {
          lastShown = s;
          ctx.out.info(`waiting for ${target}'s response… ${s}s (request ${state})`);
        }
      });
      if (response === null) {
        if (ctx.out.json) ctx.out.data({ ok: false, request: result, error: 'no response in time' });
        else ctx.out.error(`no response from ${target} within ${seconds}s (request ${result.id}; check later with mesh track check ${result.id})`);
        return ExitCode.Timeout;
      }
      if (ctx.out.json) {
        ctx.out.data({ ok: true, request: { id: result.id, peer: target }, response: { id: response.id, from: response.from, subject: response.subject, body: response.body, auth: response.auth, receivedAt: new Date(response.receivedAt).toISOString() } });
      } else {
        ctx.out.line(response.body);
      }
      node.store.inbox.markRead([response.id], node.clock.now());
      return ExitCode.Ok;
    } finally {
      await node.close();
    }
  },
};
