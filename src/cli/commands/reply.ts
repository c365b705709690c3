import { openNode } from '../../node/mesh-node.ts';
import { replyToMessage, resolveOriginal } from '../../node/reply.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { type CommandSpec } from '../command.ts';
import { draftFromArgs, exitCodeFor, messageOptions, printResults } from './send.ts';

const { subject, metadata, file, attachment, inline, encrypt, 'clear-attachments': clearAttachments, 'no-retry': noRetry, 'dry-run': dryRun } = messageOptions;

export const command: CommandSpec = {
  name: 'reply',
  summary: 'answer a received request: to its sender, correlationId set, replyContext echoed',
  usage: ['reply <message-id|original-envelope-json|-> <body> [--subject s] [--encrypt] [--no-retry]'],
  description:
    'The original is looked up in the inbox by id, or, given as envelope JSON (or {"message": …} hook body,\n' +
    'or - for stdin), verified first like `mesh receive`. Unverifiable originals are refused. The response\n' +
    'is signed per the registry and goes through the durable outbox to the sender\'s registry address\n' +
    '(bash replyTo semantics: /hooks/<me>, or /hooks/agent with the echoed session key). Exit codes as `mesh send`.',
  options: { subject, metadata, file, attachment, inline, encrypt, 'clear-attachments': clearAttachments, 'no-retry': noRetry, 'dry-run': dryRun },
  examples: ['mesh reply msg_0b6c…  "All green: 3 replicas in sync"', 'mesh reply - "done" < original.json'],
  async run(ctx, args) {
    const [ref, ...rest] = args.positionals;
    if (!ref || rest.length === 0) throw new MeshError(MeshErrorCode.InvalidArgument, 'usage: mesh reply <message-id|original-envelope|-> <body>');
    let refText = ref;
    if (ref === '-') {
      const chunks: Buffer[] = [];
      for await (const c of ctx.stdin) chunks.push(Buffer.from(c as Buffer));
      refText = Buffer.concat(chunks).toString('utf8');
    }
    const node = openNode({ home: ctx.home, env: ctx.env });
    try {
      const original = resolveOriginal(node, refText);
      if (original.type !== 'request') ctx.out.warn(`message ${original.id} is a ${original.type}, not a request; replying anyway`);
      const draft = draftFromArgs(ctx, args, node, original.from);
      const results = await replyToMessage(node, original, rest.join(' '), draft);
      const code = exitCodeFor(results);
      printResults(ctx, results, code);
      return code;
    } finally {
      await node.close();
    }
  },
};
