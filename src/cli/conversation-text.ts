/**
 * Human output of the conversation commands. Everything a peer wrote (answers, questions received,
 * subjects, verdicts and reasons set by participants) goes through printable(): control characters
 * become visible escapes, so no answer can rewrite the terminal.
 */
import type { ConversationRecord, ResponseRecord } from '../ports/conversation-repo.ts';
import type { ConsensusReport, ConversationView, RoundView } from '../node/node-conversations.ts';
import type { Output } from './output.ts';
import { cell, printable } from './printable.ts';
import { formatDuration, formatRelative, formatTime } from './time-args.ts';

/** Longest answer `mesh rally --wait` prints in full; `mesh conv show` prints up to SHOW_ANSWER_CHARS. */
export const RESULT_ANSWER_CHARS = 2000;
export const SHOW_ANSWER_CHARS = 8000;

function clipped(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}\n[… ${text.length - max} more characters: --json shows all]`;
}

/** `text` escaped, each line after the first indented by `pad`. */
function indented(text: string, pad: string, max: number): string {
  // CRLF is a line break; a lone CR (which could overwrite the line) stays escaped.
  const body = text.trim() === '' ? '(empty)' : printable(clipped(text.replace(/\r\n/g, '\n').replace(/\s+$/, ''), max));
  return body.split('\n').join(`\n${pad}`);
}

/** One line per answer: the name, then the answer (continuation lines aligned under it). */
export function answerLines(responses: readonly { agent: string; body: string }[], indent: string, max: number, label?: (agent: string) => string): string[] {
  const names = responses.map((r) => (label === undefined ? r.agent : label(r.agent)));
  const w = Math.max(0, ...names.map((n) => n.length));
  return responses.map((r, i) => `${indent}${(names[i] ?? '').padEnd(w)}  ${indented(r.body, `${indent}${' '.repeat(w + 2)}`, max)}`);
}

/** "3 of 3 answered", "1 of 3 answered (quorum 2)", "2 of 3 acknowledged", "sent to 3, no acknowledgement asked". */
export function answeredText(c: ConversationRecord, r: RoundView): string {
  if (c.type === 'broadcast' && !c.ack) return `sent to ${r.requests.length}, no acknowledgement asked`;
  const verb = c.type === 'broadcast' ? 'acknowledged' : 'answered';
  const quorum = r.quorum === null ? '' : ` (quorum ${Math.min(r.quorum, r.expected.length)})`;
  return `${r.answered.length} of ${r.expected.length} ${verb}${quorum}`;
}

const UNREACHABLE = new Set(['dead_lettered', 'expired', 'failed']);

function undelivered(r: RoundView): string[] {
  return r.requests.filter((q) => UNREACHABLE.has(q.delivery)).map((q) => `${q.agent} (${q.delivery.replace('_', '-')}${q.error === null ? '' : `: ${cell(q.error, 60)}`})`);
}

/** The live progress line of a wait: "round 2: 1/3 answered · waiting for gamma, delta". */
export function progressText(view: ConversationView, round: number): string {
  const c = view.conversation;
  if (c.type === 'escalation') {
    const current = view.rounds.at(-1);
    if (current === undefined) return 'escalation: starting';
    const earlier = view.rounds.slice(0, -1).map((r) => `${r.expected[0] ?? '?'} ${r.status === 'timeout' ? 'did not answer' : 'passed it on'}`);
    const who = current.expected[0] ?? '?';
    const state = current.answered.length > 0 ? `${who} answered` : `asking ${who}`;
    return `escalation level ${current.round}/${c.escalationChain.length}: ${state}${earlier.length > 0 ? ` (${earlier.join(', ')})` : ''}`;
  }
  const r = view.rounds.find((x) => x.round === round);
  if (r === undefined) return `round ${round}: opening`;
  if (c.type === 'broadcast' && !c.ack) return `broadcast: ${answeredText(c, r)}`;
  const verb = c.type === 'broadcast' ? 'acknowledged' : 'answered';
  const parts = [`round ${r.round}: ${r.answered.length}/${r.expected.length} ${verb}`];
  if (r.quorum !== null) parts.push(`quorum ${Math.min(r.quorum, r.expected.length)}`);
  if (r.missing.length > 0 && (r.status === 'pending' || r.status === 'partial')) parts.push(`waiting for ${r.missing.join(', ')}`);
  const lost = undelivered(r);
  if (lost.length > 0) parts.push(`not reachable: ${lost.join(', ')}`);
  return parts.join(' · ');
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

/** The consensus analysis as a few lines (the majority only when the answers are not all the same). */
export function consensusLines(out: Output, c: ConsensusReport): string[] {
  const colour = c.consensus === 'match' || c.consensus === 'near_match' ? 'green' : c.consensus === 'close' ? 'yellow' : c.consensus === 'disagree' ? 'red' : 'dim';
  const lines = [`${out.style('bold', 'Consensus:')} ${out.style(colour, c.consensus)} — ${cell(c.detail, 300)}`];
  if (c.consensus === 'match' || c.agents.length < 2) return lines;
  if (c.majority !== null) {
    const m = c.majority;
    const dissent = c.dissenters.length > 0 ? `; dissenting: ${c.dissenters.join(', ')}` : '';
    lines.push(`${out.style('bold', 'Majority:')}  ${cell(m.value, 80)} — ${m.count} of ${c.agents.length} (${percent(m.share)}), margin ${m.margin}${dissent}`);
  } else {
    const distinct = new Set(c.values).size === c.values.length;
    lines.push(`${out.style('bold', 'Majority:')}  none (${distinct ? 'every answer differs' : 'a tie for the most common answer'})`);
  }
  return lines;
}

/** `mesh consensus <conv>` for people: the analysis and each answer's value. */
export function printConsensus(out: Output, c: ConsensusReport): void {
  out.line(`${c.conversationId}${c.round === null ? '' : ` · round ${c.round}`}`);
  for (const l of consensusLines(out, c)) out.line(l);
  if (c.agents.length > 0) {
    out.line('');
    const w = Math.max(...c.agents.map((a) => a.length));
    const vw = Math.max(...c.values.map((v) => cell(v, 30).length));
    c.agents.forEach((a, i) => out.line(`  ${a.padEnd(w)}  ${cell(c.values[i], 30).padEnd(vw)}  ${out.style('dim', cell(c.rawResponses[i], 60))}`));
  }
}

function labelOf(c: ConversationRecord): ((agent: string) => string) | undefined {
  if (!c.anonymize || c.labels.length === 0) return undefined;
  return (agent) => {
    const l = c.labels.find((x) => x.agent === agent)?.label;
    return l === undefined ? agent : `${agent} [${l}]`;
  };
}

function roundHeading(out: Output, c: ConversationRecord, r: RoundView, now: number): string {
  const open = r.status === 'pending' || r.status === 'partial';
  const when = open ? `deadline ${formatRelative(r.deadline, now)}` : `asked ${formatTime(r.createdAt)}`;
  const what = c.type === 'escalation' ? `Level ${r.round} (${r.expected[0] ?? '?'})` : `Round ${r.round}`;
  // A participant only knows what it was asked: the others' answers went to the initiator.
  const answered = c.role === 'initiator' ? ` · ${answeredText(c, r)}` : '';
  return `${out.style('bold', what)} · ${r.status}${answered} · ${when}`;
}

function whyNotCounted(r: RoundView, x: ResponseRecord): string {
  if (!x.fromParticipant) return 'not a participant';
  if (r.answered.includes(x.agent)) return 'duplicate';
  if (!r.expected.includes(x.agent)) return 'not asked in this round';
  return 'late';
}

/** Responses of a round that were kept but not counted, with why. */
function notCounted(r: RoundView): { agent: string; body: string }[] {
  return r.responses.filter((x) => !x.counted).map((x) => ({ agent: `${x.agent} (${whyNotCounted(r, x)})`, body: x.body }));
}

/**
 * The lines of one round: its heading (unless `heading` is false), the question, counted answers,
 * who is missing, what was not counted or not delivered.
 */
export function roundLines(out: Output, c: ConversationRecord, r: RoundView, now: number, max: number, heading = true): string[] {
  const lines = heading ? [roundHeading(out, c, r, now)] : [];
  lines.push(`  ${out.style('dim', 'question:')} ${indented(r.question, '            ', max)}`);
  lines.push(...answerLines(r.responses.filter((x) => x.counted), '  ', max, labelOf(c)));
  if (r.missing.length > 0 && c.role === 'initiator') {
    const open = r.status === 'pending' || r.status === 'partial';
    lines.push(`  ${out.style('yellow', open ? 'waiting for:' : 'no answer from:')} ${r.missing.join(', ')}`);
  }
  const lost = undelivered(r);
  if (lost.length > 0) lines.push(`  ${out.style('red', 'not delivered:')} ${lost.join(', ')}`);
  const extra = notCounted(r);
  if (extra.length > 0) {
    lines.push(`  ${out.style('dim', 'not counted:')}`);
    lines.push(...answerLines(extra, '    ', max));
  }
  return lines;
}

/** `mesh conv show <id>`. */
export function printConversation(out: Output, v: ConversationView, self: string, now: number): void {
  const c = v.conversation;
  const field = (k: string, val: string): void => out.line(`  ${out.style('dim', k.padEnd(13))} ${val}`);
  out.line(`${out.style('bold', c.id)} · ${c.type} · ${c.status}${c.role === 'participant' ? ' · this node takes part' : ''}`);
  field('subject', cell(c.subject, 200));
  field('started by', `${c.initiator}${c.initiator === self ? ' (this node)' : ''} · ${formatTime(c.createdAt)} (${formatRelative(c.createdAt, now)})`);
  field('participants', c.participants.join(', ') || '-');
  if (c.type === 'escalation' && c.escalationChain.length > 0) field('chain', c.escalationChain.join(' → '));
  if (c.status === 'active') field('deadline', `${formatTime(c.deadline)} (${formatRelative(c.deadline, now)}) · TTL ${formatDuration(c.ttlSeconds * 1000)} per round`);
  if (c.statusReason !== null) field('status', `${c.status}: ${cell(c.statusReason, 200)}`);
  if (c.anonymize) field('anonymised', 'yes: later rounds share answers as A, B, C… without names');
  if (c.ack) field('ack', 'acknowledgements requested');
  if (c.verdict !== null) {
    const vd = c.verdict;
    const summary = vd.summary === null ? '' : ` — ${cell(vd.summary, 300)}`;
    field('verdict', `${out.style('bold', cell(vd.verdict, 200))}${summary}`);
    field('', `set by ${vd.setBy} on round ${vd.round} at ${formatTime(vd.setAt)}, resting on ${vd.basis.length} answer(s)`);
  }
  for (const r of v.rounds) {
    out.line('');
    for (const l of roundLines(out, c, r, now, SHOW_ANSWER_CHARS)) out.line(l);
  }
  if (v.rounds.length === 0) out.line('\n(no rounds)');
}
