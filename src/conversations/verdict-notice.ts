/**
 * The verdict notification a participant sends to the initiator, carried in payload.metadata:
 *
 *   {"meshConsensus": {"v": 1, "conversationId": "conv_…", "round": 2, "verdict": "confirmed",
 *                      "summary": "…" | null, "basis": [{"responseId", "agent", "sha256"}]}}
 *
 * `basis` lists the counted responses the verdict rests on (their envelope ids and the SHA-256, hex,
 * of their UTF-8 bodies) as the sender's node holds them. Version 1; a receiver refuses other
 * versions. Everything in it is peer input and validated here, with limits.
 */
import { createHash } from 'node:crypto';
import type { ResponseRecord, VerdictBasisEntry } from '../ports/conversation-repo.ts';
import { getField, type JsonValue } from '../protocol/json.ts';
import { isValidAgentName } from '../protocol/names.ts';
import { MAX_SUMMARY_CHARS, MAX_VERDICT_BASIS, MAX_VERDICT_CHARS } from './conversation-limits.ts';
import { conversationIdOf, roundOf } from './correlate.ts';

export const VERDICT_METADATA_KEY = 'meshConsensus';
export const VERDICT_NOTICE_VERSION = 1;
const MAX_RESPONSE_ID_CHARS = 128;

export interface VerdictNotice {
  conversationId: string;
  round: number;
  verdict: string;
  summary: string | null;
  basis: VerdictBasisEntry[];
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The basis of a verdict: every counted response given, by envelope id and body digest. */
export function basisOf(responses: readonly ResponseRecord[]): VerdictBasisEntry[] {
  return responses.filter((r) => r.counted).map((r) => ({ responseId: r.id, agent: r.agent, sha256: sha256Hex(r.body) }));
}

/** Why a verdict text is unacceptable, or null. Verdicts are one line; summaries may span lines. */
export function verdictProblem(verdict: unknown, summary: unknown): string | null {
  if (typeof verdict !== 'string' || verdict.trim() === '') return 'the verdict must be a non-empty string';
  if ([...verdict].length > MAX_VERDICT_CHARS) return `the verdict is longer than ${MAX_VERDICT_CHARS} characters`;
  if (/\p{Cc}/u.test(verdict)) return 'the verdict must not contain control characters';
  if (summary === null || summary === undefined) return null;
  if (typeof summary !== 'string') return 'the summary must be a string';
  if ([...summary].length > MAX_SUMMARY_CHARS) return `the summary is longer than ${MAX_SUMMARY_CHARS} characters`;
  if (/[^\P{Cc}\n\t]/u.test(summary)) return 'the summary must not contain control characters other than newlines and tabs';
  return null;
}

export function verdictMetadata(n: VerdictNotice): JsonValue {
  return {
    [VERDICT_METADATA_KEY]: {
      v: VERDICT_NOTICE_VERSION, conversationId: n.conversationId, round: n.round, verdict: n.verdict, summary: n.summary,
      basis: n.basis.map((b) => ({ responseId: b.responseId, agent: b.agent, sha256: b.sha256 })),
    },
  };
}

function basisEntry(v: JsonValue | undefined): VerdictBasisEntry | null {
  const responseId = getField(v, 'responseId');
  const agent = getField(v, 'agent');
  const sha256 = getField(v, 'sha256');
  if (typeof responseId !== 'string' || responseId === '' || responseId.length > MAX_RESPONSE_ID_CHARS) return null;
  if (typeof agent !== 'string' || !isValidAgentName(agent)) return null;
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) return null;
  return { responseId, agent, sha256 };
}

/** null: the metadata holds no verdict notice; `{error}`: it holds a malformed one. */
export function parseVerdictNotice(metadata: JsonValue): VerdictNotice | { error: string } | null {
  const o = getField(metadata, VERDICT_METADATA_KEY);
  if (o === undefined) return null;
  if (getField(o, 'v') !== VERDICT_NOTICE_VERSION) return { error: `unsupported ${VERDICT_METADATA_KEY} version` };
  const conversationId = conversationIdOf(getField(o, 'conversationId'));
  if (conversationId === null) return { error: 'no valid conversationId' };
  const round = roundOf(getField(o, 'round'));
  if (round === null) return { error: 'no valid round' };
  const verdict = getField(o, 'verdict');
  const summary = getField(o, 'summary') ?? null;
  const problem = verdictProblem(verdict, summary);
  if (problem !== null) return { error: problem };
  const rawBasis = getField(o, 'basis') ?? [];
  if (!Array.isArray(rawBasis) || rawBasis.length > MAX_VERDICT_BASIS) return { error: 'basis must be a list of at most 1000 entries' };
  const basis = rawBasis.map(basisEntry);
  if (basis.some((b) => b === null)) return { error: 'a basis entry is malformed' };
  return { conversationId, round, verdict: verdict as string, summary: summary as string | null, basis: basis as VerdictBasisEntry[] };
}
