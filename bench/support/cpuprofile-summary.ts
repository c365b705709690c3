/**
 * Summarises V8 .cpuprofile files (from `node --cpu-prof` or BENCH_PROFILE_DIR) by self time.
 *   node bench/support/cpuprofile-summary.ts <file|dir> [--by url|function] [--top n]
 *   node bench/support/cpuprofile-summary.ts <file|dir> --callers <function name> [--top n]
 * "url" groups by module (node_modules packages and node internals collapsed); "function" by
 * function@module:line; "--callers" splits one function's self time by the chain of its callers
 * (nearest first), e.g. to see which writes a `writeUtf8String` was. Times are averaged over the
 * files given. Samples are wall-clock: on a loaded machine a function's self time includes the
 * time its thread waited for a core inside it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function shortUrl(url: string): string {
  if (url === '') return '';
  return url
    .replace(/^file:\/\/.*?\/(dist|src|bench)\//, '$1/')
    .replace(/^file:\/\/.*node_modules\/((?:@[^/]+\/)?[^/]+)\/.*/, 'node_modules/$1')
    .replace(/^(node:internal\/[^/]+).*/, '$1');
}

export function summarize(files: readonly string[], by: 'url' | 'function'): { key: string; ms: number }[] {
  const totals = new Map<string, number>();
  for (const f of files) {
    const p = JSON.parse(readFileSync(f, 'utf8')) as Profile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    for (const [i, id] of p.samples.entries()) {
      const n = byId.get(id);
      if (n === undefined) continue;
      const u = shortUrl(n.callFrame.url);
      const name = n.callFrame.functionName || '(anonymous)';
      const key = by === 'url' ? u || `(${name})` : `${name} ${u ? `${u}:${n.callFrame.lineNumber + 1}` : ''}`.trim();
      totals.set(key, (totals.get(key) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
    }
  }
  return [...totals].map(([key, ms]) => ({ key, ms: ms / Math.max(1, files.length) })).sort((a, b) => b.ms - a.ms);
}

const CALLER_DEPTH = 7;

/** Self time of the functions named `name`, grouped by their chain of callers (nearest first). */
export function callers(files: readonly string[], name: string): { key: string; ms: number }[] {
  const totals = new Map<string, number>();
  for (const f of files) {
    const p = JSON.parse(readFileSync(f, 'utf8')) as Profile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const self = new Map<number, number>();
    for (const [i, id] of p.samples.entries()) self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
    for (const n of p.nodes) {
      const ms = self.get(n.id) ?? 0;
      if (n.callFrame.functionName !== name || ms === 0) continue;
      const chain: string[] = [];
      for (let cur = parent.get(n.id); cur !== undefined && chain.length < CALLER_DEPTH; cur = parent.get(cur)) {
        const c = byId.get(cur)?.callFrame;
        if (c === undefined) break;
        chain.push(`${c.functionName || '(anonymous)'} ${shortUrl(c.url)}:${c.lineNumber + 1}`);
      }
      const key = chain.join(' < ');
      totals.set(key, (totals.get(key) ?? 0) + ms);
    }
  }
  return [...totals].map(([key, ms]) => ({ key, ms: ms / Math.max(1, files.length) })).sort((a, b) => b.ms - a.ms);
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const callersAt = args.indexOf('--callers');
  const callee = callersAt >= 0 ? args[callersAt + 1] : undefined;
  const target = args.find((a, i) => !a.startsWith('--') && !/^\d+$/.test(a) && (callersAt < 0 || i !== callersAt + 1));
  if (target === undefined || (callersAt >= 0 && callee === undefined)) {
    console.error('usage: cpuprofile-summary.ts <file|dir> [--by url|function | --callers <function name>] [--top n]');
    process.exit(2);
  }
  const by = args.includes('function') ? 'function' : 'url';
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args[topAt + 1]) : 30;
  const files = statSync(target).isDirectory()
    ? readdirSync(target).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(target, f))
    : [target];
  const rows = callee === undefined ? summarize(files, by) : callers(files, callee);
  const total = rows.reduce((s, r) => s + r.ms, 0);
  for (const r of rows.slice(0, top)) console.log(`${r.ms.toFixed(1).padStart(9)} ms ${((r.ms / total) * 100).toFixed(1).padStart(5)}%  ${r.key}`);
  console.log(`${total.toFixed(1).padStart(9)} ms total (${files.length} profile(s), averaged)`);
}
