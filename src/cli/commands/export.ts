import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { auditLine } from '../../node/audit-log.ts';
import type { AuditEntry, AuditFilter } from '../../ports/store.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { ChunkedWriter } from '../chunked-writer.ts';
import { flag, str, type CliContext, type CommandSpec, type ParsedArgs } from '../command.ts';
import { csvRow } from '../csv.ts';
import { ExitCode } from '../exit-codes.ts';
import { withNode } from '../node-session.ts';
import { agentFilter, noMoreArgs } from '../subcommand.ts';
import { parseLimit, parseTimeArg, TIME_ARG_HELP } from '../time-args.ts';

export const CSV_HEADER = ['timestamp', 'from', 'to', 'type', 'status', 'subject', 'signed', 'direction', 'id', 'correlationId'] as const;

type Format = 'json' | 'csv';

function formatOf(args: ParsedArgs): Format {
  const wanted = new Set<Format>();
  if (flag(args, 'json')) wanted.add('json');
  if (flag(args, 'csv')) wanted.add('csv');
  const f = str(args, 'format');
  if (f !== undefined) {
    const v = f.toLowerCase();
    if (v === 'csv') wanted.add('csv');
    else if (v === 'json' || v === 'jsonl' || v === 'ndjson') wanted.add('json');
    else throw new MeshError(MeshErrorCode.InvalidArgument, `--format must be json or csv, got "${f}"`);
  }
  if (wanted.size > 1) throw new MeshError(MeshErrorCode.InvalidArgument, 'choose one output format: --json (NDJSON) or --csv');
  return wanted.has('csv') ? 'csv' : 'json';
}

function filterOf(args: ParsedArgs, now: number): AuditFilter {
  const f: AuditFilter = {};
  const agent = agentFilter(undefined, str(args, 'agent'));
  if (agent !== undefined) f.agent = agent;
  for (const k of ['from', 'to', 'type', 'status'] as const) {
    const v = str(args, k);
    if (v !== undefined) f[k] = v;
  }
  const since = str(args, 'since');
  const until = str(args, 'until');
  if (since !== undefined) f.since = parseTimeArg(since, now, 'since');
  if (until !== undefined) f.until = parseTimeArg(until, now, 'until');
  if (f.since !== undefined && f.until !== undefined && f.since > f.until) {
    throw new MeshError(MeshErrorCode.InvalidArgument, '--since is after --until: nothing could match');
  }
  const limit = parseLimit(str(args, 'limit'), undefined);
  if (limit !== undefined) f.limit = limit;
  return f;
}

function csvRecord(e: AuditEntry, formulaGuard: boolean): string {
  return csvRow([new Date(e.ts).toISOString(), e.from, e.to, e.type, e.status, e.subject, e.signed, e.direction, e.id, e.correlationId], { formulaGuard });
}

/** Opens --output synchronously so a bad path is a clear error before any work (mode 600: audit data). */
function openOutput(path: string): WriteStream {
  let fd: number;
  try {
    fd = openSync(path, 'w', 0o600);
  } catch (e) {
    throw new MeshError(MeshErrorCode.InvalidArgument, `cannot write --output ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return createWriteStream('', { fd });
}

async function run(ctx: CliContext, args: ParsedArgs): Promise<number> {
  noMoreArgs('export', args.positionals);
  const format = formatOf(args);
  const formulaGuard = !flag(args, 'raw');
  const outputPath = str(args, 'output');
  return withNode(ctx, async (node) => {
    const filter = filterOf(args, node.clock.now());
    // The Store port returns a query's rows at once; the output side is streamed with back-pressure.
    const rows = node.store.audit.query(filter);
    const file = outputPath === undefined ? null : openOutput(resolve(ctx.cwd, outputPath));
    const w = new ChunkedWriter(file ?? ctx.stdout);
    try {
      if (format === 'csv') await w.write(csvRow(CSV_HEADER, { formulaGuard: false }));
      for (const e of rows) {
        if (w.closed) break;
        await w.write(format === 'csv' ? csvRecord(e, formulaGuard) : auditLine(e));
      }
      await w.finish();
    } finally {
      if (file !== null) {
        await new Promise<void>((done) => file.end(done));
      }
    }
    if (file !== null) ctx.out.info(`exported ${rows.length} audit entr${rows.length === 1 ? 'y' : 'ies'} to ${outputPath} (${format === 'csv' ? 'CSV' : 'NDJSON'})`);
    return ExitCode.Ok;
  }, { readOnly: true });
}

export const command: CommandSpec = {
  name: 'export',
  summary: 'export the audit trail as JSON or CSV with filters',
  usage: [
    'export [--json | --csv | --format json|csv] [--agent <a>] [--from <a>] [--to <b>] [--type <t>] [--status <s>] ' +
      '[--since <time>] [--until <time>] [--limit <n>] [--output <file>] [--raw]',
  ],
  description:
    'Prints the audit trail (every message sent, retried, dead-lettered, replayed, purged, received or\n' +
    'rejected), oldest first.\n\n' +
    'JSON (default; --json or --format json) is NDJSON: one object per line with the keys of\n' +
    'logs/mesh-audit.jsonl: ts, from, to, type, id, subject, status, correlationId, conversationId, signed,\n' +
    'encrypted, direction, detail.\n' +
    'CSV (--csv or --format csv) follows RFC 4180 (CRLF line ends; fields with commas, quotes or line breaks\n' +
    `are quoted) with the header\n  ${CSV_HEADER.join(',')}\n` +
    'Cells that begin with = + - @, a tab or CR get a leading \' so spreadsheets show them as text instead\n' +
    'of running them as formulas; --raw turns that off for tools that read the CSV as data.\n\n' +
    `--since/--until take ${TIME_ARG_HELP.replace(' or a time', '\nor a time')};\n` +
    'times without a zone are UTC. --agent matches either side (from or to); all filters combine.\n' +
    '--limit keeps the first n matching entries. --output writes to a file (created with mode 600,\n' +
    'replaced if it exists) instead of stdout.',
  options: {
    csv: { type: 'boolean', description: 'CSV instead of NDJSON' },
    format: { type: 'string', placeholder: 'json|csv', description: 'output format (json = NDJSON); same as --json / --csv' },
    agent: { type: 'string', placeholder: 'name', description: 'entries from or to this agent' },
    from: { type: 'string', placeholder: 'agent', description: 'entries from this agent' },
    to: { type: 'string', placeholder: 'agent', description: 'entries to this agent' },
    type: { type: 'string', placeholder: 'type', description: 'message type: request, response, notification, alert, ack' },
    status: { type: 'string', placeholder: 'status', description: 'sent, received, retry_scheduled, dead_lettered, replayed, purged, expired, …' },
    since: { type: 'string', placeholder: 'time', description: 'entries at or after: 30m, 48h, 2d, "2 days ago", 2026-01-31T12:00:00Z' },
    until: { type: 'string', placeholder: 'time', description: 'entries at or before (same forms as --since)' },
    limit: { type: 'string', placeholder: 'n', description: 'at most n entries (the oldest matching)' },
    output: { type: 'string', short: 'o', placeholder: 'file', description: 'write to this file instead of stdout' },
    raw: { type: 'boolean', description: 'CSV: no spreadsheet formula guard' },
  },
  examples: [
    'mesh export --since 48h > audit.jsonl',
    'mesh export --format csv --since "2 days ago" --agent beta --output beta.csv',
    'mesh export --csv --status dead_lettered --since 2026-01-01',
    'mesh export --json --type request --from alpha | jq -r .id',
  ],
  run,
};
