import { CONVERSATION_TYPES, isConversationType } from '../../ports/conversation-repo.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { flag, type CommandSpec } from '../command.ts';
import { roundOptions, runRound } from '../round-command.ts';

export const command: CommandSpec = {
  name: 'converse',
  summary: 'start a conversation of a given type: rally, collab, escalation, broadcast, opinion, brainstorm',
  usage: [`converse <${CONVERSATION_TYPES.join('|')}> "<message>" [--agents <a,b|all|@group>] [--ack] [--wait <seconds>] [rally options]`],
  description:
    'Like `mesh rally`, with the conversation type given (default agents: all):\n' +
    '  rally       every agent asked at once, the question as it is\n' +
    '  collab      "[COLLAB] …" framed for a joint investigation over several rounds\n' +
    '  opinion     "[OPINION REQUESTED] …": every agent\'s own view and reasons\n' +
    '  brainstorm  "[BRAINSTORM] …": as many ideas as possible\n' +
    '  escalation  the --agents are a chain, asked one at a time in that order: the next level only when\n' +
    '              the current one does not answer within --ttl or answers starting with ESCALATE or\n' +
    '              CANNOT RESOLVE; any other answer resolves it. One conversation; `mesh serve` moves it on.\n' +
    '  broadcast   a notification to every agent (complete at once); with --ack a request whose replies\n' +
    '              are tracked as acknowledgements ("k/n acknowledged")\n' +
    'Default --ttl: rally 300 s, collab and opinion 600 s, brainstorm 900 s, escalation 600 s per level,\n' +
    'broadcast 120 s. Exit codes as `mesh rally`; with --wait an escalation ends when it is resolved (0)\n' +
    'or not (13: the chain ran out, or the wait ended first).',
  options: {
    ...roundOptions,
    ack: { type: 'boolean', description: 'broadcast: ask for acknowledgements and track them' },
  },
  examples: [
    'mesh converse opinion "What is the biggest risk in the fleet right now?" --agents beta,gamma --wait 120',
    'mesh converse escalation "db1 disk 95% full" --agents monitor,dba,oncall --ttl 300 --wait 900',
    'mesh converse broadcast "Use key X, not key Y, for joins" --ack --wait 60',
  ],
  async run(ctx, args) {
    const [type, ...rest] = args.positionals;
    if (type === undefined || rest.length === 0) {
      throw new MeshError(MeshErrorCode.InvalidArgument, `usage: mesh converse <${CONVERSATION_TYPES.join('|')}> "<message>" [--agents …]`);
    }
    if (!isConversationType(type)) {
      throw new MeshError(MeshErrorCode.InvalidArgument, `unknown conversation type "${type.slice(0, 40)}": use ${CONVERSATION_TYPES.join(', ')}`);
    }
    if (type === 'escalation' && args.values['agents'] === undefined && args.values['conv-id'] === undefined) {
      throw new MeshError(MeshErrorCode.InvalidArgument, 'an escalation needs its chain in order: --agents first,second,third');
    }
    return runRound(ctx, args, { type, question: rest.join(' '), ack: flag(args, 'ack'), defaultAgents: 'all' });
  },
};
