/**
 * Properties of the consensus analysis over large input spaces:
 *  - a number written with thousands separators, a bash answer prefix (any case) and trailing words
 *    is read back as that number; text without digits is read as itself, trimmed and lowercased;
 *  - the classification does not depend on the order of the answers;
 *  - its classes agree with the discrepancy (near_match ≤ 1 ≤ close ≤ 5 ≤ disagree), which is null
 *    exactly when the answers are not all numbers (or fewer than two);
 *  - the majority and the dissenters partition the answers, and the margin is right.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { analyseConsensus, type ConsensusInput } from './consensus.ts';
import { extractValue, valueKey } from './consensus-values.ts';

const PREFIXES = ['', 'Response:', 'Responded with:', 'Answer:', 'Result:'];
const withCommas = (digits: string): string => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const randomCase = (s: string, mask: number): string =>
  [...s].map((c, i) => ((mask >> (i % 30)) & 1 ? c.toUpperCase() : c.toLowerCase())).join('');
const noDigits = fc.string({ unit: fc.constantFrom('a', 'B', 'z', ' ', '.', '?', 'é', '-', '\n', ':'), maxLength: 30 });

test('property: a written number is read back as that number', () => {
  fc.assert(fc.property(
    fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.option(fc.integer({ min: 0, max: 99 }), { nil: undefined }),
    fc.boolean(), fc.constantFrom(...PREFIXES), fc.nat(), fc.constantFrom(' ', '  ', '\t'), noDigits,
    (whole, cents, commas, prefix, mask, gap, tail) => {
      const int = whole.toString();
      const frac = cents === undefined ? '' : `.${String(cents).padStart(2, '0')}`;
      const body = `${randomCase(prefix, mask)}${gap}${commas ? withCommas(int) : int}${frac} ${tail}`;
      assert.equal(extractValue(body), Number(`${int}${frac}`));
    },
  ));
});

test('property: text without digits is read as itself, trimmed and lowercased', () => {
  const prefixed = /^\s*(?:response|responded with|answer|result):/i;
  fc.assert(fc.property(noDigits.filter((s) => !prefixed.test(s)), (s) => {
    assert.equal(extractValue(s), s.trim().toLowerCase());
  }));
});

const agentName = fc.constantFrom('beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta');
const body = fc.oneof(
  fc.integer({ min: 0, max: 2000 }).map(String),
  fc.integer({ min: 95, max: 105 }).map((n) => `Answer: ${n}`),
  fc.double({ min: 0, max: 1e6, noNaN: true }).map((n) => `${n}`),
  fc.constantFrom('yes', 'No', 'YES ', 'maybe', 'result: healthy'),
);
const answers = fc.uniqueArray(agentName, { maxLength: 7 }).chain((agents) =>
  fc.tuple(...agents.map((agent) => body.map((b): ConsensusInput => ({ agent, body: b })))));

test('property: the classification does not depend on the order of the answers', () => {
  fc.assert(fc.property(answers, fc.nat(), (rs, seed) => {
    const shuffled = [...rs].sort((a, b) => ((a.agent.charCodeAt(0) * 31 + seed) % 7) - ((b.agent.charCodeAt(0) * 31 + seed) % 7));
    const a = analyseConsensus(rs);
    const b = analyseConsensus(shuffled);
    assert.equal(b.consensus, a.consensus);
    assert.equal(b.discrepancy, a.discrepancy);
    assert.equal(b.majority?.value, a.majority?.value);
    assert.deepEqual([...b.dissenters].sort(), [...a.dissenters].sort());
  }));
});

test('property: classes agree with the discrepancy; null exactly when not all answers are numbers', () => {
  fc.assert(fc.property(answers, (rs) => {
    const a = analyseConsensus(rs);
    const values = rs.map((r) => extractValue(r.body));
    const allNumbers = values.every((v) => typeof v === 'number');
    assert.equal(a.values.length, rs.length);
    assert.deepEqual(a.agents, rs.map((r) => r.agent));
    if (rs.length === 0) return assert.equal(a.consensus, 'no_data');
    if (rs.length === 1) return assert.equal(a.consensus, 'insufficient');
    const allSame = values.every((v) => valueKey(v) === valueKey(values[0]!));
    assert.equal(a.consensus === 'match', allSame);
    if (allSame) return assert.equal(a.discrepancy, 0);
    assert.equal(a.discrepancy === null, !allNumbers);
    if (!allNumbers) return assert.equal(a.consensus, 'disagree');
    const d = a.discrepancy as number;
    if (a.consensus === 'near_match') assert.ok(d <= 1, `near_match at ${d}`);
    else if (a.consensus === 'close') assert.ok(d >= 1 && d <= 5, `close at ${d}`);
    else assert.ok(a.consensus === 'disagree' && d >= 5, `${a.consensus} at ${d}`);
  }));
});

test('property: identical answers always match', () => {
  fc.assert(fc.property(fc.uniqueArray(agentName, { minLength: 2 }), body, (agents, b) => {
    assert.equal(analyseConsensus(agents.map((agent) => ({ agent, body: b }))).consensus, 'match');
  }));
});

test('property: majority and dissenters partition the answers; share and margin are right', () => {
  fc.assert(fc.property(answers, (rs) => {
    const a = analyseConsensus(rs);
    const counts = new Map<string, number>();
    for (const r of rs) counts.set(valueKey(extractValue(r.body)), (counts.get(valueKey(extractValue(r.body))) ?? 0) + 1);
    const sorted = [...counts.values()].sort((x, y) => y - x);
    const tie = sorted.length >= 2 && sorted[0] === sorted[1];
    if (rs.length === 0 || tie) {
      assert.equal(a.majority, null);
      assert.deepEqual(a.dissenters, []);
      return;
    }
    const m = a.majority!;
    assert.equal(m.count, sorted[0]);
    assert.equal(m.margin, sorted[0]! - (sorted[1] ?? 0));
    assert.equal(m.share, m.count / rs.length);
    assert.equal(m.agents.length + a.dissenters.length, rs.length);
    assert.ok(m.agents.every((x) => !a.dissenters.includes(x)));
    const key = valueKey(extractValue(rs.find((r) => r.agent === m.agents[0])!.body));
    for (const r of rs) assert.equal(m.agents.includes(r.agent), valueKey(extractValue(r.body)) === key);
  }));
});

test('the majority answer of numbers equal after rounding does not depend on who answered first', () => {
  const a = analyseConsensus([{ agent: 'beta', body: '0' }, { agent: 'gamma', body: '0.000001' }, { agent: 'delta', body: '7' }]);
  const b = analyseConsensus([{ agent: 'gamma', body: '0.000001' }, { agent: 'beta', body: '0' }, { agent: 'delta', body: '7' }]);
  assert.equal(a.majority?.value, b.majority?.value);
  assert.equal(a.majority?.count, 2);
});
