// The live message log: the node's last inbound and outbound messages from the audit trail, newest
// first, reloaded as message events arrive.
import { html } from '../html.js';
import { iso, oneLine, when } from '../format.js';

/** Rows shown (the overview carries the last 200). */
export const LOG_ROWS = 100;

export function MessagesView({ mesh }) {
  const rows = [...(mesh?.messages ?? [])].reverse().slice(0, LOG_ROWS);
  return html`
    <section class="panel log" aria-labelledby="log-h">
      <h2 id="log-h">Message log</h2>
      ${mesh !== null && rows.length === 0 ? html`<p class="muted">No messages yet.</p>` : null}
      <ol class="log-list">
        ${rows.map((m) => html`
          <li key=${m.seq} class=${`log-row dir-${m.direction}`} data-message-id=${m.id ?? ''}>
            <time datetime=${iso(m.ts)}>${when(m.ts)}</time>
            <span class="route">${m.direction === 'out' ? `→ ${m.to ?? '?'}` : `← ${m.from ?? '?'}`}</span>
            <span class="badge type">${m.type ?? '?'}</span>
            <span class=${`badge st st-${String(m.status).replace(/[^a-z_]/g, '')}`}>${m.status}</span>
            <span class="subject text">${oneLine(m.subject ?? '', 120)}</span>
          </li>`)}
      </ol>
    </section>`;
}
