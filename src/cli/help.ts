import type { CommandSpec, OptionSpec } from './command.ts';
import { globalOptions } from './command.ts';

function optionLines(options: Record<string, OptionSpec>): string[] {
  const rows = Object.entries(options).map(([name, o]) => {
    const short = o.short ? `-${o.short}, ` : '    ';
    const ph = o.type === 'string' ? ` <${o.placeholder ?? 'value'}>` : '';
    return [`  ${short}--${name}${ph}${o.multiple ? ' (repeatable)' : ''}`, o.description] as const;
  });
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([l, d]) => `${l.padEnd(w)}  ${d}`);
}

export function commandHelp(spec: CommandSpec): string {
  const lines = [`Usage:`, ...spec.usage.map((u) => `  mesh ${u}`), '', spec.summary];
  if (spec.description) lines.push('', spec.description);
  if (Object.keys(spec.options).length > 0) lines.push('', 'Options:', ...optionLines(spec.options));
  lines.push('', 'Global options:', ...optionLines(globalOptions));
  if (spec.examples?.length) lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  return `${lines.join('\n')}\n`;
}

export function mainHelp(commands: ReadonlyArray<{ name: string; summary: string; group: string }>, version: string): string {
  const groups = new Map<string, { name: string; summary: string }[]>();
  for (const c of commands) groups.set(c.group, [...(groups.get(c.group) ?? []), c]);
  const w = Math.max(...commands.map((c) => c.name.length));
  const lines = [
    `mesh ${version} — reliable, authenticated messaging between AI agents`,
    '',
    'Usage: mesh <command> [options]     mesh <command> --help for details',
  ];
  for (const [g, cs] of groups) {
    lines.push('', `${g}:`);
    for (const c of cs) lines.push(`  ${c.name.padEnd(w)}  ${c.summary}`);
  }
  lines.push(
    '',
    'Global options: --home <dir> (default $MESH_HOME or ~/.mesh), --json, --help, --version',
    'Exit codes: 0 ok, 1 error, 2 usage, 3 not initialized/config, 10 queued, 11 dead-lettered,',
    '            12 expired, 13 timed out, 14 rejected (see README "Exit codes")',
  );
  return `${lines.join('\n')}\n`;
}

/** Levenshtein distance, for "did you mean". */
export function closest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j] ?? 0;
      prev[j] = Math.min((prev[j] ?? 0) + 1, (prev[j - 1] ?? 0) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length] ?? 0;
}
