import { readFileSync } from 'node:fs';
import type { MeshNode } from '../../node/mesh-node.ts';
import { brainSync, DEFAULT_MAX_POSTS_PER_RUN, type BrainSyncReport } from '../../node/node-brain-sync.ts';
import { DEFAULT_BRAIN_SYNC_TIMEOUT_MS } from '../../node/config/brain-sync-config.ts';
import { isPlainHttpUrl } from '../../node/config/config-urls.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { flag, str, type CliContext, type CommandSpec, type ParsedArgs } from '../command.ts';
import { ExitCode } from '../exit-codes.ts';
import { withNode } from '../node-session.ts';
import { cell } from '../printable.ts';

/** Dry run, human output: this many entries are shown. */
const SHOWN_ENTRIES = 20;

function positiveInt(text: string | undefined, option: string, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new MeshError(MeshErrorCode.InvalidArgument, `--${option} must be a whole number 1..${max}, got "${text.slice(0, 40)}"`);
  }
  return n;
}

/** The token: --token-file, --token, MESH_BRAIN_TOKEN, else config/mesh.json's for the same URL. Never printed. */
function tokenOf(ctx: CliContext, node: MeshNode, args: ParsedArgs, url: string): string | null {
  const file = str(args, 'token-file');
  const given = str(args, 'token');
  if (file !== undefined && given !== undefined) throw new MeshError(MeshErrorCode.InvalidArgument, 'give --token-file or --token, not both');
  let token: string | undefined;
  if (file !== undefined) {
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch (e) {
      throw new MeshError(MeshErrorCode.InvalidArgument, `cannot read --token-file ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  } else {
    token = given ?? ctx.env['MESH_BRAIN_TOKEN'];
  }
  if (token === undefined || token === '') {
    const b = node.config.brainSync;
    return b !== null && b.url.replace(/\/$/, '') === url.replace(/\/$/, '') ? b.token : null;
  }
  if (/\s/.test(token)) throw new MeshError(MeshErrorCode.InvalidArgument, 'the brain token must not contain spaces or line breaks');
  return token;
}

function print(ctx: CliContext, r: BrainSyncReport): void {
  const { out } = ctx;
  if (r.dryRun) {
    out.line(`Dry run: ${r.entries.length} entr${r.entries.length === 1 ? 'y' : 'ies'} would be posted to ${r.target}${r.caughtUp ? '' : ' (and more after them)'}.`);
    for (const e of r.entries.slice(0, SHOWN_ENTRIES)) out.line(`  ${e.id}  ${cell(e.text, 140)}`);
    if (r.entries.length > SHOWN_ENTRIES) out.line(`  … ${r.entries.length - SHOWN_ENTRIES} more (--json lists them all)`);
    return;
  }
  const n = r.posted.audit + r.posted.events;
  out.line(`Synced ${n} new MESH entr${n === 1 ? 'y' : 'ies'} to Brain (${r.posted.audit} audit, ${r.posted.events} conversation events) at ${r.target}`);
  if (r.failed !== null) out.error(`stopped at ${r.failed.id}: ${r.failed.error}; run mesh brain-sync again to resume from there`);
  else if (!r.caughtUp) out.info('More entries are waiting: run mesh brain-sync again (or raise --max).');
}

export const command: CommandSpec = {
  name: 'brain-sync',
  summary: 'post new audit entries and conversation events to a Brain ingest URL (once each, resumable)',
  usage: ['brain-sync [--url <base URL>] [--token-file <path>] [--timeout <s>] [--max <n>] [--dry-run] [--json]'],
  description:
    'POSTs every audit entry and conversation event not yet synced, oldest first, to <url>/ingest as\n' +
    'bash\'s body {"text", "agent", "source_file"} plus "id" (mesh:<node>:audit:<seq> or\n' +
    'mesh:<node>:event:<seq>, also the Idempotency-Key header). A cursor per URL, kept in the node\'s\n' +
    'database, moves after each successful post: a failed post stops the run and the next run resumes\n' +
    'with it, so nothing is posted twice, except the one entry posted just before a crash (at least\n' +
    'once: receivers can de-duplicate on "id"). One run per URL at a time (mesh serve\'s schedule\n' +
    'included). Exit 1 when a post failed.\n\n' +
    'URL: --url, else $BRAIN_URL (bash\'s variable), else config/mesh.json brainSync.url.\n' +
    'Token (sent as Authorization: Bearer): --token-file, --token (visible in ps: prefer the others),\n' +
    '$MESH_BRAIN_TOKEN, else brainSync.token when the URL is the configured one.\n' +
    'mesh serve runs it every brainSync.intervalMs when config/mesh.json has\n' +
    '"brainSync": {"url": "…", "intervalMs": 300000, "token": "…", "timeoutMs": 10000}.',
  options: {
    url: { type: 'string', placeholder: 'base URL', description: 'the Brain\'s base URL (entries go to <url>/ingest)' },
    'token-file': { type: 'string', placeholder: 'path', description: 'file holding the bearer token' },
    token: { type: 'string', placeholder: 'token', description: 'bearer token (visible to other local users: prefer --token-file)' },
    timeout: { type: 'string', placeholder: 'seconds', description: `time limit per post, connection included (default ${DEFAULT_BRAIN_SYNC_TIMEOUT_MS / 1000})` },
    max: { type: 'string', placeholder: 'n', description: `post at most n entries in this run (default ${DEFAULT_MAX_POSTS_PER_RUN})` },
    'dry-run': { type: 'boolean', description: 'list what would be posted; post nothing, move no cursor' },
  },
  examples: [
    'mesh brain-sync --url http://127.0.0.1:8900',
    'mesh brain-sync --url https://brain.example.net --token-file ~/.mesh/brain.token --json',
    'mesh brain-sync --dry-run',
  ],
  async run(ctx, args) {
    if (args.positionals.length > 0) throw new MeshError(MeshErrorCode.InvalidArgument, `unexpected argument "${args.positionals[0]}" (see mesh brain-sync --help)`);
    return withNode(ctx, async (node) => {
      const url = str(args, 'url') ?? (ctx.env['BRAIN_URL'] || undefined) ?? node.config.brainSync?.url;
      if (url === undefined) throw new MeshError(MeshErrorCode.InvalidArgument, 'no Brain URL: give --url <base URL>, set BRAIN_URL, or set brainSync.url in config/mesh.json');
      if (!isPlainHttpUrl(url)) throw new MeshError(MeshErrorCode.InvalidArgument, 'the Brain URL must be http(s), without credentials (use --token-file), query or fragment');
      const timeoutS = positiveInt(str(args, 'timeout'), 'timeout', 600);
      const report = await brainSync(node, {
        url,
        token: tokenOf(ctx, node, args, url),
        timeoutMs: timeoutS === undefined ? (node.config.brainSync?.timeoutMs ?? DEFAULT_BRAIN_SYNC_TIMEOUT_MS) : timeoutS * 1000,
        maxPosts: positiveInt(str(args, 'max'), 'max', 1_000_000),
        dryRun: flag(args, 'dry-run'),
        signal: ctx.signal,
      });
      const code = report.failed === null ? ExitCode.Ok : ExitCode.Error;
      if (ctx.out.json) {
        const { entries, ...rest } = report;
        ctx.out.data({ ok: code === ExitCode.Ok, ...rest, ...(report.dryRun ? { entries } : {}) });
      } else {
        print(ctx, report);
      }
      return code;
    });
  },
};
