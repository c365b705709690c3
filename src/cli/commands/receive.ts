import { openNode } from '../../node/mesh-node.ts';
import { receivedAttachments } from '../../node/received-attachments.ts';
import { inboundOf } from '../../node/node-inbound.ts';
import { shellQuote } from '../../node/shell-quote.ts';
import { parseOrdered } from '../../protocol/canonical-json.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { getField } from '../../protocol/json.ts';
import { flag, type CommandSpec } from '../command.ts';
import { ExitCode } from '../exit-codes.ts';

export const command: CommandSpec = {
  name: 'receive',
  summary: 'verify and record an envelope given directly (direct topology: the agent passes what its gateway got)',
  usage: ['receive <envelope-json|hook-body-json|-> [--env]'],
  description:
    'Runs the same checks as `mesh serve` (schema, recipient, sender, signature per registry, replay window,\n' +
    'nonce, TTL, decryption, de-duplication), records the message in the inbox and prints it as JSON with\n' +
    'the plaintext body. Rejected envelopes print the reason and exit 14; a message seen before prints\n' +
    '"duplicate": true. The agent already holds the message, so it is not handed off again (no handler, no\n' +
    'gateway forward). --env prints MESH_* assignments single-quoted so `eval "$(mesh receive --env …)"` is\n' +
    'safe whatever the message contains (bash parse_mesh output was an injection vector).',
  options: {
    env: { type: 'boolean', description: 'print shell-quoted MESH_ID=… assignments instead of JSON' },
  },
  examples: ['mesh receive "$MESSAGE"', 'printf %s "$MESSAGE" | mesh receive -', 'eval "$(mesh receive --env "$MESSAGE")"; echo "$MESH_FROM said $MESH_BODY"'],
  async run(ctx, args) {
    let text = args.positionals[0];
    if (text === undefined) throw new MeshError(MeshErrorCode.InvalidArgument, 'usage: mesh receive <envelope-json|-> (the envelope, or the {"message": …} hook body)');
    if (text === '-') {
      const chunks: Buffer[] = [];
      for await (const c of ctx.stdin) chunks.push(Buffer.from(c as Buffer));
      text = Buffer.concat(chunks).toString('utf8');
    }
    let wrapped = false;
    try {
      const doc = parseOrdered(text);
      wrapped = getField(doc, 'message') !== undefined && getField(doc, 'protocol') === undefined;
    } catch {
      // Let the pipeline produce the precise malformed_body answer.
    }
    const node = openNode({ home: ctx.home, env: ctx.env });
    try {
      const res = inboundOf(node).handle({ pathSender: null, bodyText: text, wrapped });
      const ok = res.status >= 200 && res.status < 300;
      const id = typeof res.body.id === 'string' ? res.body.id : null;
      const msg = ok && id ? node.store.inbox.get(id) : null;
      if (!ok || msg === null) {
        if (ctx.out.json || !flag(args, 'env')) ctx.out.data({ ok: false, status: res.status, code: res.body.code, error: res.body.error });
        else ctx.out.line(`MESH_VERIFIED=false\nMESH_REJECT_CODE=${shellQuote(String(res.body.code ?? 'rejected'))}`);
        if (!ctx.out.json) ctx.out.error(`rejected: ${res.body.code ?? res.status} ${res.body.error ?? ''}`.trim());
        return ExitCode.Rejected;
      }
      const env = JSON.parse(msg.envelope) as Record<string, unknown>;
      const replyContext = env['replyContext'] ?? null;
      const view = {
        ok: true,
        duplicate: res.body.duplicate === true,
        id: msg.id,
        from: msg.from,
        to: msg.to,
        type: msg.type,
        subject: msg.subject,
        body: msg.body,
        correlationId: msg.correlationId,
        conversationId: msg.conversationId,
        replyContext,
        priority: env['priority'] ?? 'normal',
        ttl: env['ttl'] ?? null,
        attachments: receivedAttachments(msg),
        auth: msg.auth,
        encrypted: (env['payload'] as { encrypted?: unknown } | undefined)?.encrypted === true,
        receivedAt: new Date(msg.receivedAt).toISOString(),
      };
      if (flag(args, 'env') && !ctx.out.json) {
        const pairs: [string, unknown][] = [
          ['MESH_VERIFIED', true], ['MESH_DUPLICATE', view.duplicate], ['MESH_ID', view.id], ['MESH_FROM', view.from], ['MESH_TO', view.to],
          ['MESH_TYPE', view.type], ['MESH_SUBJECT', view.subject], ['MESH_BODY', view.body], ['MESH_CORRELATION_ID', view.correlationId ?? ''],
          ['MESH_CONVERSATION_ID', view.conversationId ?? ''], ['MESH_REPLY_CONTEXT', JSON.stringify(replyContext)], ['MESH_PRIORITY', view.priority],
          ['MESH_TTL', view.ttl ?? ''], ['MESH_AUTH', view.auth], ['MESH_ENCRYPTED', view.encrypted], ['MESH_ATTACHMENT_COUNT', view.attachments.length],
        ];
        for (const [k, v] of pairs) ctx.out.line(`${k}=${shellQuote(String(v))}`);
      } else {
        ctx.out.data(view);
      }
      return ExitCode.Ok;
    } finally {
      await node.close();
    }
  },
};
