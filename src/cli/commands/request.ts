import { openNode } from '../../node/mesh-node.ts';
import { assertOneAgent, requestAndAwait } from '../../node/request-response.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { str, type CommandSpec } from '../command.ts';
import { ExitCode } from '../exit-codes.ts';
import { describe, draftFromArgs, messageOptions } from './send.ts';

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
    assertOneAgent(target);
    const waitText = str(args, 'wait') ?? '120';
    const seconds = Number(waitText);
    if (!Number.isFinite(seconds) || seconds <= 0) throw new MeshError(MeshErrorCode.InvalidArgument, `--wait takes seconds, got "${waitText}"`);
    const node = openNode({ home: ctx.home, env: ctx.env });
    try {
      const draft = draftFromArgs(ctx, args, node, target);
      let lastShown = -1;
      const outcome = await requestAndAwait(node, { ...draft, target, body: rest.join(' ') }, {
        timeoutMs: seconds * 1000,
        signal: ctx.signal,
        onSent: (sent) => {
          if (sent.status !== 'dry_run') ctx.stderr.write(`${describe(ctx.out, sent, Date.now())}\n`);
        },
        onProgress: (ms, state) => {
          const s = Math.floor(ms / 5000) * 5;
          if (s !== lastShown && s > 0) {
            lastShown = s;
            ctx.out.info(`waiting for ${target}'s response… ${s}s (request ${state})`);
          }
        },
      });
      const { request: result, response } = outcome;
      if (result.status === 'dry_run') {
        ctx.out.data(result.envelope);
        return ExitCode.Ok;
      }
      if (outcome.end === 'not_sent') {
        if (ctx.out.json) ctx.out.data({ ok: false, request: result });
        return result.status === 'dead_lettered' ? ExitCode.DeadLettered : result.status === 'expired' ? ExitCode.Expired : ExitCode.Error;
      }
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
      return ExitCode.Ok;
    } finally {
      await node.close();
    }
  },
};
