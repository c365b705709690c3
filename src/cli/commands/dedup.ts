import { alertsOf } from '../../node/node-alerts.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { str, type CommandSpec } from '../command.ts';
import { ExitCode } from '../exit-codes.ts';
import { incidentJson } from '../incident-view.ts';
import { withNode } from '../node-session.ts';

export const command: CommandSpec = {
  name: 'dedup',
  summary: 'de-duplicate an alert: prints new | suppressed | escalate | recovery',
  usage: ['dedup "<alert text>" [--host <host>] [--check <check>] [--json]'],
  description:
    'Counts the alert in its incident (one active incident per host and check) and prints exactly one word on\n' +
    'stdout, so scripts can `case` on it (bash mesh-dedup.sh): `new` (first alert: notify), `suppressed`\n' +
    '(inside the window of the last notification: stay quiet), `escalate` (the 3rd alert of a window, and\n' +
    'once escalated the first alert of each later window), `recovery` (a recovery text that resolved an\n' +
    'incident; a recovery with no incident to resolve is `suppressed`). The window (fleet.dedupWindowMs,\n' +
    '30 min) starts at each notification, so a steady stream notifies once per window. Without --host, the\n' +
    'host is the registry agent at the first IPv4 address in the text, else that address, else `unknown`;\n' +
    'without --check, the check comes from words in the text (gateway, rag, bluebubbles, tts, image_gen,\n' +
    'whisper, else `unknown`). Several words are joined with spaces. Exit 0; 2 when the text is missing.\n' +
    '--json prints {decision, host, check, recovery, incident, resolvedQuiet}. Rules: docs/alert-dedup.md.',
  options: {
    host: { type: 'string', placeholder: 'host', description: 'the host the alert is about (default: from an address in the text)' },
    check: { type: 'string', placeholder: 'check', description: 'the check that alerted (default: from words in the text)' },
  },
  examples: [
    'mesh dedup "HTTP probe of 10.0.0.5:18789 failed"',
    'mesh dedup "Service agent-b:8900 is down" --host agent-b --check http_probe',
    'case "$(mesh dedup "$ALERT")" in new|escalate) notify ;; recovery) notify_recovered ;; esac',
  ],
  async run(ctx, args) {
    const text = args.positionals.join(' ');
    if (text.trim() === '') {
      throw new MeshError(MeshErrorCode.InvalidArgument, 'the alert text is missing: mesh dedup "<alert text>" [--host h] [--check c]');
    }
    return withNode(ctx, (node) => {
      const r = alertsOf(node).dedup({ text, host: str(args, 'host'), check: str(args, 'check') });
      const { out } = ctx;
      if (out.json) {
        const windowMs = node.config.fleet.dedupWindowMs;
        out.data({
          decision: r.decision, host: r.host, check: r.check, recovery: r.recovery,
          incident: r.incident === null ? null : incidentJson(r.incident, windowMs),
          resolvedQuiet: r.quietResolved?.id ?? null,
        });
      } else {
        out.line(r.decision);
      }
      return ExitCode.Ok;
    });
  },
};
