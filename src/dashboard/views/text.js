// Peer text as text: plain runs as text nodes, hidden characters (control, bidi, zero-width) as
// their escapes in a marked span, never as markup.
import { html } from '../html.js';
import { textParts } from '../format.js';

export function Text({ value }) {
  return textParts(value).map((p) => (typeof p === 'string' ? p : html`<span class="ctrl" title=${`hidden character ${p.code}`}>${p.escape}</span>`));
}
