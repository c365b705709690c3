/**
 * Anonymisation labels: A, B, … Z, AA, AB … Each agent keeps its label for the whole conversation
 * (stored on it), so "B" in round 3 is "B" of round 2. Agents seen for the first time get the next
 * labels in a random order: neither the label nor the listing order tells who it is (alphabetical or
 * invitation order would).
 */
import type { AnonLabel } from '../ports/conversation-repo.ts';

/** 0 → A, 25 → Z, 26 → AA (spreadsheet columns). */
export function labelName(index: number): string {
  let n = index;
  let out = '';
  do {
    out = String.fromCharCode(65 + (n % 26)) + out;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return out;
}

/** A uniform integer in [0, n), from a source of random hex (the IdGenerator's). */
function randomBelow(n: number, randomHex: (bytes: number) => string): number {
  const limit = Math.floor(0x1_0000_0000 / n) * n;
  for (;;) {
    const r = Number.parseInt(randomHex(4), 16);
    if (r < limit) return r % n;
  }
}

/** The labels after giving every agent of `agents` that has none the next one, in random order. */
export function assignLabels(existing: readonly AnonLabel[], agents: readonly string[], randomHex: (bytes: number) => string): AnonLabel[] {
  const known = new Set(existing.map((l) => l.agent));
  const fresh = [...new Set(agents)].filter((a) => !known.has(a));
  for (let i = fresh.length - 1; i > 0; i--) {
    const j = randomBelow(i + 1, randomHex);
    [fresh[i], fresh[j]] = [fresh[j] as string, fresh[i] as string];
  }
  return [...existing, ...fresh.map((agent, i) => ({ agent, label: labelName(existing.length + i) }))];
}
