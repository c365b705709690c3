/**
 * The text forms of a session, in bash's layout (bash-mesh-behavior.md §6.9), built to survive hostile
 * text: peers wrote the subjects and bodies, so
 *  - control characters (ANSI escapes included) become U+FFFD, tabs and line breaks excepted;
 *  - in `formatContext`, every body line sits behind `  │ `, so no body line can pass for a message
 *    header (`[HH:MM:SS] from → to [type]: …`) or the session header;
 *  - on one-line forms (subjects, the prior-conversation lines of a request body) line breaks become
 *    ` ⏎ `, so a body cannot start a line of its own there.
 */
import { truncateUtf8 } from '../protocol/envelope.ts';
import type { SessionMessage, SessionRecord } from '../ports/store.ts';
import { PRIOR_BODY_MAX_CHARS } from './session-limits.ts';

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_RE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const QUOTE = '  │ ';

/** Control characters (except tab and line breaks) replaced by U+FFFD. */
export function inert(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(/[\r\v\f\u0085\u2028\u2029]/g, '\n').replace(CONTROL_RE, '\uFFFD');
}

/** `inert`, on one line. */
export function oneLine(text: string): string {
  return inert(text).split('\n').join(' ⏎ ');
}

/** Every line behind the quote bar. */
export function quoteBody(text: string): string {
  return inert(text).split('\n').map((l) => `${QUOTE}${l}`).join('\n');
}

/** `text` cut at `maxBytes` (never inside a character), with a visible note of what was cut. */
export function clipBytes(text: string, maxBytes: number): string {
  const size = Buffer.byteLength(text, 'utf8');
  if (size <= maxBytes) return text;
  const kept = truncateUtf8(text, maxBytes);
  return `${kept}\n[… truncated: ${size - Buffer.byteLength(kept, 'utf8')} more bytes]`;
}

/** At most `max` characters (code points); a cut ends in `…`. */
export function clipChars(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max).join('')}…`;
}

const clock = (ts: number): string => new Date(ts).toISOString().slice(11, 19);

/** `mesh session context`: bash's format (header, participants, then each message), peer text made inert. */
export function formatContext(session: SessionRecord, messages: readonly SessionMessage[]): string {
  const lines = [`=== MESH Collaborative Session: ${session.key} ===`, `Participants: ${session.participants.join(', ')}`, '---'];
  for (const m of messages) {
    lines.push(`[${clock(m.ts)}] ${oneLine(m.from)} → ${oneLine(m.to)} [${oneLine(m.type)}]: ${oneLine(m.subject)}`);
    lines.push(quoteBody(m.body), '');
  }
  return `${lines.join('\n')}\n`;
}

export interface SendBodyInput {
  key: string;
  self: string;
  participants: readonly string[];
  /** Every message of the session now, the one being sent last. */
  messageCount: number;
  /** Earlier messages to show (oldest first), without the one being sent. */
  prior: readonly SessionMessage[];
  message: string;
}

/**
 * The body of a session request (bash `send`): the message alone while the session has no earlier
 * message; then the prior-conversation block, the current message, and a note on how to answer.
 */
export function composeSendBody(i: SendBodyInput): string {
  if (i.messageCount <= 1 || i.prior.length === 0) return i.message;
  return [
    `[Collaborative Session: ${i.key} - ${i.messageCount} messages]`,
    `[Participants: ${i.participants.join(', ')}]`,
    '[Prior conversation:]',
    ...i.prior.map((m) => `[${m.from} → ${m.to}]: ${clipChars(oneLine(m.body), PRIOR_BODY_MAX_CHARS)}`),
    '---',
    `[Current message from ${i.self}:]`,
    i.message,
    '',
    `[Group session ${i.key}: every participant receives each message. To answer them all: mesh session send ${i.key} ${i.self} "<your reply>"]`,
  ].join('\n');
}
