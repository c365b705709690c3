import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import type { CommandSpec } from '../command.ts';
import { roundOptions, runRound } from '../round-command.ts';

export const command: CommandSpec = {
  name: 'rally',
  summary: 'ask several agents one question; follow-up rounds share their answers',
  usage: [
    'rally "<question>" --agents <a,b|all|@group> [--wait <seconds>] [--quorum <k>] [--anonymize] [options]',
    'rally "<follow-up>" --conv-id <conv_…> [--agents …] [--wait <seconds>] [options]',
  ],
  description:
    'Opens a conversation and sends each agent one request, all at once: conversationId, replyContext\n' +
    '{conversationId, participants, round} and the subject "[conv_…] <subject>". Round 1 is blind: nobody\n' +
    'sees the others\' answers. --conv-id opens the next round: each request then carries the earlier\n' +
    'rounds (questions and every answer) in a delimited, size-bounded context block; --anonymize shares the\n' +
    'answers as A, B, C… without names. Agents answer as they answer any request (`mesh reply`, a\n' +
    'MESH_HANDLER, an OpenClaw agent); this node\'s `mesh serve` must run to receive the answers.\n' +
    '\n' +
    'Without --wait it prints the conversation id (stdout) and how each request went (stderr). With\n' +
    '--wait it shows "k/n answered" live on stderr and ends with the answers and the consensus on stdout.\n' +
    '\n' +
    'Exit codes. Without --wait, as `mesh send`: 0 delivered, 10 queued for retry, 11 dead-lettered,\n' +
    '12 expired. With --wait: 0 the round completed (every answer, or the --quorum); 13 the wait or the\n' +
    'round\'s --ttl ended first (the answers so far are printed); 11/12/1 an agent could not be reached at\n' +
    'all. 2: usage (unknown agent, bad option), nothing sent.',
  options: roundOptions,
  examples: [
    'mesh rally "How many active rows in orders?" --agents beta,gamma,delta --wait 60',
    'mesh rally "Your counts differ: which is right, and why?" --conv-id conv_1767225600_0a1b2c3d --anonymize --wait 60',
    'mesh rally "Is the deploy safe?" --agents @reviewers --quorum 2 --wait 120 --json',
  ],
  async run(ctx, args) {
    if (args.positionals.length === 0) {
      throw new MeshError(MeshErrorCode.InvalidArgument, 'usage: mesh rally "<question>" --agents <a,b|all|@group> [--wait <seconds>]');
    }
    return runRound(ctx, args, { type: undefined, question: args.positionals.join(' ') });
  },
};
