/**
 * What a benchmark returns and how run.ts prints it. A row compares a measured value with the
 * baseline measured in the same run; targets are goals printed next to the figure, never assertions.
 */
import { round } from './stats.ts';

export type Verdict = 'PASS' | 'MISS' | 'info';

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  /** The same quantity for the baseline, measured in the same run (null: no baseline). */
  baseline: number | null;
  baselineName: string | null;
  /** value / baseline (or as stated by the benchmark), null without a baseline. */
  ratio: number | null;
  /** Human-readable goal, e.g. "≤ 3.5× baseline"; null for informational rows. */
  target: string | null;
  verdict: Verdict;
}

export interface BenchOutcome {
  name: string;
  rows: BenchRow[];
  /** Facts worth reading next to the numbers (configuration changes, diagnoses). */
  notes: string[];
  /** Raw figures for the JSON file. */
  details: Record<string, unknown>;
  error?: string;
  durationMs?: number;
}

export interface BenchContext {
  /** Temp folder for this benchmark (removed afterwards by run.ts). */
  dir: string;
  /** Progress to stderr. */
  log(message: string): void;
}

export interface Benchmark {
  name: string;
  summary: string;
  run(ctx: BenchContext): Promise<BenchOutcome>;
}

export function row(r: Partial<BenchRow> & Pick<BenchRow, 'name' | 'value' | 'unit'>): BenchRow {
  return { baseline: null, baselineName: null, ratio: null, target: null, verdict: 'info', ...r };
}

/** A row with a ratio target: `value / baseline` must be ≤ max (lower is better) or ≥ min. */
export function ratioRow(
  r: Pick<BenchRow, 'name' | 'value' | 'unit' | 'baselineName'> & { baseline: number },
  goal: { max?: number; min?: number },
): BenchRow {
  const ratio = r.value / r.baseline;
  const ok = (goal.max === undefined || ratio <= goal.max) && (goal.min === undefined || ratio >= goal.min);
  const target = goal.max !== undefined ? `≤ ${goal.max}× baseline` : `≥ ${(goal.min ?? 0) * 100}% of baseline`;
  return { ...r, ratio, target, verdict: Number.isFinite(ratio) && ok ? 'PASS' : 'MISS' };
}

function fmt(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return x === null ? '—' : String(x);
  const a = Math.abs(x);
  return String(a >= 100 ? Math.round(x) : a >= 10 ? round(x, 1) : round(x, 2));
}

export function formatTable(outcomes: readonly BenchOutcome[]): string {
  const head = ['benchmark', 'measure', 'value', 'baseline', 'ratio', 'target', 'result'];
  const lines: string[][] = [];
  for (const o of outcomes) {
    if (o.error !== undefined) lines.push([o.name, 'FAILED', o.error.split('\n')[0] ?? '', '', '', '', 'MISS']);
    for (const r of o.rows) {
      const ratio = r.ratio === null ? '—' : r.target?.includes('%') ? `${fmt(r.ratio * 100)}%` : `${fmt(r.ratio)}×`;
      lines.push([
        o.name,
        r.name,
        `${fmt(r.value)} ${r.unit}`,
        r.baseline === null ? '—' : `${fmt(r.baseline)} ${r.unit}${r.baselineName ? ` (${r.baselineName})` : ''}`,
        ratio,
        r.target ?? '—',
        r.verdict,
      ]);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const render = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [render(head), render(widths.map((w) => '-'.repeat(w))), ...lines.map(render)].join('\n');
}
