/**
 * Text from peers (subjects, bodies, error details) is untrusted: printed raw, escape sequences could
 * rewrite the user's terminal. Human output shows control characters as visible `\xNN` escapes.
 */

// C0 controls except tab and newline, DEL, and C1 controls (ESC-less CSI is \x9b).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
const hex = (c: string): string => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;

/** For multi-line text (bodies): keeps newlines and tabs. */
export function printable(text: string): string {
  return text.replace(CONTROL, hex);
}

/** For one table cell or line: also folds newlines and tabs, and shortens to `max` characters. */
export function cell(text: string | null | undefined, max = 60): string {
  if (text === null || text === undefined || text === '') return '-';
  const s = text.replace(/\r?\n|\t/g, ' ').replace(CONTROL, hex);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
