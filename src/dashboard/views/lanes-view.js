// The conversation board: one lane per status (waiting on answers, active, complete, timed out),
// newest first in each. Lanes sit side by side on a wide screen and stack on a narrow one.
import { html } from '../html.js';
import { LANES, laneOf } from '../store.js';
import { ConversationCard } from './conversation-card.js';

export function LanesView({ store }) {
  const { conversations, expanded, details } = store.state;
  if (!conversations.loaded) return html`<p class="muted">Loading conversations…</p>`;
  const byLane = new Map(LANES.map((l) => [l.key, []]));
  for (const c of conversations.list) byLane.get(laneOf(c))?.push(c);
  const filtered = Object.values(store.state.filters).some((v) => v !== '');
  return html`
    ${conversations.error === null ? null : html`<p class="error" role="alert">${conversations.error}</p>`}
    ${conversations.list.length === 0 && conversations.error === null
      ? html`<p class="muted empty">${filtered ? 'No conversation matches these filters.' : 'No conversations yet. Start one from a terminal: mesh rally "How many rows?" --agents beta,gamma'}</p>`
      : null}
    <div class="lanes">
      ${LANES.map((lane) => {
        const list = byLane.get(lane.key);
        return html`
          <section class="lane" data-lane=${lane.key} aria-labelledby=${`lane-${lane.key}`}>
            <h3 id=${`lane-${lane.key}`} title=${lane.hint}>${lane.title} <span class="count">${list.length}</span></h3>
            ${list.map((c) => html`<${ConversationCard} key=${c.id} c=${c} open=${expanded.has(c.id)} detail=${details[c.id]} store=${store} />`)}
          </section>`;
      })}
    </div>
    ${conversations.hasMore ? html`<p class="muted">Showing the newest ${conversations.list.length}; narrow the filters to see older ones.</p>` : null}`;
}
