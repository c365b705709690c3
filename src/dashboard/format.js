// Formatting of peer text and times for display. Peer text is always rendered as text (text nodes);
// invisible and direction-changing characters are shown as escapes, so a body cannot hide or
// reorder what a person reads.

// C0 controls except tab and newline, DEL, C1 controls, bidirectional overrides and isolates,
// zero-width and other format characters: each is shown as its escape (\x1b, \u202e).
const HIDDEN_RE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g; // eslint-disable-line no-control-regex

function escapeOf(c) {
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** The text with every hidden character replaced by its escape (for one-line places and attributes). */
export function visible(text) {
  if (typeof text !== 'string') return text == null ? '' : String(text);
  return text.replace(HIDDEN_RE, escapeOf);
}

/**
 * The text cut into plain runs and hidden characters ({escape, code}), so a view can mark the latter
 * (views/text.js). Every part is rendered as text.
 */
export function textParts(text) {
  const s = typeof text === 'string' ? text : text == null ? '' : String(text);
  const parts = [];
  let last = 0;
  for (const m of s.matchAll(HIDDEN_RE)) {
    if (m.index > last) parts.push(s.slice(last, m.index));
    parts.push({ escape: escapeOf(m[0]), code: `U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}` });
    last = m.index + m[0].length;
  }
  if (last < s.length) parts.push(s.slice(last));
  return parts;
}

/** One line of at most `max` characters (subjects, previews). */
export function oneLine(text, max = 160) {
  const s = visible(text).replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

const pad = (n) => String(n).padStart(2, '0');

/** Local wall-clock time, with the date when it is not today. */
export function when(ms) {
  if (typeof ms !== 'number') return '';
  const d = new Date(ms);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const today = new Date();
  if (d.toDateString() === today.toDateString()) return time;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

/** The ISO form, for the title of a <time> element. */
export function iso(ms) {
  return typeof ms === 'number' ? new Date(ms).toISOString() : '';
}

/** "12 s ago", "in 4 min". */
export function relative(ms, now = Date.now()) {
  if (typeof ms !== 'number') return '';
  const diff = Math.round((ms - now) / 1000);
  const abs = Math.abs(diff);
  if (abs < 5) return 'just now'; // also hides a small clock difference between browser and node
  const text = abs < 60 ? `${abs} s` : abs < 3600 ? `${Math.round(abs / 60)} min` : abs < 172_800 ? `${Math.round(abs / 3600)} h` : `${Math.round(abs / 86_400)} d`;
  return diff < 0 ? `${text} ago` : `in ${text}`;
}

export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}
