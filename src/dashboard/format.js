// Formatting of peer text and times for display. Peer text is always rendered as text (a text node);
// `visible` also makes invisible and direction-changing characters visible, so a body cannot hide
// or reorder what a person reads.

// C0 controls except tab and newline, and DEL: shown as their Unicode control pictures (␛, ␀…).
const C0_RE = /[\u0000-\u0008\u000b-\u001f\u007f]/g; // eslint-disable-line no-control-regex
// C1 controls, bidirectional overrides and isolates, zero-width and other format characters.
const FORMAT_RE = /[\u0080-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

export function visible(text) {
  if (typeof text !== 'string') return text == null ? '' : String(text);
  return text
    .replace(C0_RE, (c) => String.fromCharCode(c === '\u007f' ? 0x2421 : 0x2400 + c.charCodeAt(0)))
    .replace(FORMAT_RE, (c) => `<U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}>`);
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
  const text = abs < 60 ? `${abs} s` : abs < 3600 ? `${Math.round(abs / 60)} min` : abs < 172_800 ? `${Math.round(abs / 3600)} h` : `${Math.round(abs / 86_400)} d`;
  return diff < 0 ? `${text} ago` : `in ${text}`;
}

export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}
