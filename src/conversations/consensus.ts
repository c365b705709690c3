/**
 * Consensus over the answers of one round: bash's classification (bash-mesh-behavior.md §6.6), and
 * what it lacks: the most common answer, its share and margin over the runner-up, and who dissents.
 *
 * Classification, on the values of consensus-values.ts:
 *   no answers → no_data; one → insufficient;
 *   every value the same (numbers rounded to 2 decimals) → match, discrepancy 0;
 *   all numbers → spread = (max − min) / mean × 100 (100 when mean ≤ 0): ≤ 1 near_match, ≤ 5 close,
 *     else disagree; discrepancy = spread rounded to 2 decimals;
 *   anything else (texts that differ, numbers mixed with text) → disagree, discrepancy null.
 * Pure: no store, no clock.
 */
import { extractValue, round2, valueKey, valueText, type ConsensusValue } from './consensus-values.ts';

export type ConsensusKind = 'match' | 'near_match' | 'close' | 'disagree' | 'insufficient' | 'no_data';

export interface ConsensusInput {
  agent: string;
  body: string;
}

export interface MajorityAnswer {
  /** The answer as it prints in `values`. */
  value: string;
  count: number;
  /** count / number of answers. */
  share: number;
  /** count minus the count of the next most common answer (the only answer: its count). */
  margin: number;
  agents: string[];
}

export interface ConsensusAnalysis {
  consensus: ConsensusKind;
  /** Spread in percent (2 decimals); 0 on a match; null when it is not defined. */
  discrepancy: number | null;
  detail: string;
  agents: string[];
  /** Each answer's value as bash prints it ("1260.0", or the lowercased text). */
  values: string[];
  /** The first 200 characters of each answer. */
  rawResponses: string[];
  /** On a match: the agreed value (a number, or the text). */
  consensusValue?: ConsensusValue;
  /** The single most common answer; null when none (no answers, or a tie for first place). */
  majority: MajorityAnswer | null;
  /** Agents whose answer differs from the majority's (empty without a majority). */
  dissenters: string[];
}

export const NEAR_MATCH_MAX_PERCENT = 1;
export const CLOSE_MAX_PERCENT = 5;
export const RAW_RESPONSE_CHARS = 200;

/** First `n` characters (code points, as Python slices), never half a surrogate pair. */
function firstChars(s: string, n: number): string {
  let out = '';
  let count = 0;
  for (const ch of s) {
    if (count++ >= n) break;
    out += ch;
  }
  return out;
}

function spreadPercent(nums: readonly number[]): number {
  const max = Math.max(...nums);
  const min = Math.min(...nums);
  const avg = nums.reduce((a, b) => a + b, 0) / nums.length;
  return avg <= 0 ? 100 : ((max - min) / avg) * 100;
}

function majorityOf(inputs: readonly ConsensusInput[], values: readonly ConsensusValue[]): MajorityAnswer | null {
  const groups = new Map<string, { value: string; agents: string[] }>();
  values.forEach((v, i) => {
    const key = valueKey(v);
    // Numbers that count as the same answer print as their common (rounded) value, so the order of
    // the answers cannot decide which of them names the group.
    const g = groups.get(key) ?? { value: valueText(typeof v === 'number' ? round2(v) : v), agents: [] };
    g.agents.push(inputs[i]?.agent ?? '');
    groups.set(key, g);
  });
  const ranked = [...groups.values()].sort((a, b) => b.agents.length - a.agents.length);
  const [first, second] = ranked;
  if (first === undefined || (second !== undefined && second.agents.length === first.agents.length)) return null;
  const count = first.agents.length;
  return {
    value: first.value, count, share: count / values.length, margin: count - (second?.agents.length ?? 0), agents: first.agents,
  };
}

function classify(values: readonly ConsensusValue[]): Pick<ConsensusAnalysis, 'consensus' | 'discrepancy' | 'detail' | 'consensusValue'> {
  const n = values.length;
  if (n === 0) return { consensus: 'no_data', discrepancy: null, detail: 'No responses' };
  if (n < 2) return { consensus: 'insufficient', discrepancy: null, detail: 'Only 1 response; at least 2 are needed' };
  const first = values[0] as ConsensusValue;
  if (values.every((v) => valueKey(v) === valueKey(first))) {
    const agreed = typeof first === 'number' ? round2(first) : first;
    return { consensus: 'match', discrepancy: 0, detail: `All ${n} responses agree: ${valueText(first)}`, consensusValue: agreed };
  }
  if (values.every((v): v is number => typeof v === 'number')) {
    const pct = spreadPercent(values as number[]);
    const discrepancy = Number.isFinite(pct) ? round2(pct) : null;
    const shown = discrepancy === null ? 'undefined' : `${discrepancy}%`;
    if (pct <= NEAR_MATCH_MAX_PERCENT) return { consensus: 'near_match', discrepancy, detail: `Values within ${shown} of their mean` };
    if (pct <= CLOSE_MAX_PERCENT) return { consensus: 'close', discrepancy, detail: `Values within ${shown} of their mean` };
    return { consensus: 'disagree', discrepancy, detail: `Values differ by ${shown} of their mean` };
  }
  const texts = values.every((v) => typeof v === 'string');
  return { consensus: 'disagree', discrepancy: null, detail: texts ? 'The text answers differ' : 'Numeric and text answers are mixed' };
}

export function analyseConsensus(responses: readonly ConsensusInput[]): ConsensusAnalysis {
  const values = responses.map((r) => extractValue(r.body));
  const majority = majorityOf(responses, values);
  const inMajority = new Set(majority?.agents ?? []);
  return {
    ...classify(values),
    agents: responses.map((r) => r.agent),
    values: values.map(valueText),
    rawResponses: responses.map((r) => firstChars(r.body, RAW_RESPONSE_CHARS)),
    majority,
    dissenters: majority === null ? [] : responses.map((r) => r.agent).filter((a) => !inMajority.has(a)),
  };
}
