// One conversation on the board. The head is a button that expands the card into its rounds,
// responses, consensus tally and verdict form, and collapses it again.
import { html } from '../html.js';
import { iso, oneLine, relative, visible, when } from '../format.js';
import { ConsensusView } from './consensus-view.js';
import { RoundView } from './round-view.js';
import { VerdictForm } from './verdict-form.js';

function progress(c) {
  const r = c.latestRound;
  if (r === null || r === undefined) return c.role === 'participant' ? 'asked by ' + c.initiator : 'no round yet';
  const quorum = r.quorum === null ? '' : ` (quorum ${r.quorum})`;
  return `round ${r.round}: ${r.answered.length}/${r.expected.length} answered${quorum}`;
}

function Detail({ c, detail, store }) {
  if (detail === undefined || (detail.data === null && detail.error === null)) return html`<p class="muted">Loading…</p>`;
  if (detail.data === null) return html`<p class="error" role="alert">${detail.error}</p>`;
  const { conversation: conv, rounds, consensus, verdict } = detail.data;
  return html`
    ${detail.error === null ? null : html`<p class="error" role="alert">${detail.error}</p>`}
    <dl class="facts">
      <dt>Id</dt><dd><code>${conv.id}</code></dd>
      <dt>Asked by</dt><dd>${conv.initiator}${conv.role === 'participant' ? ' (this node takes part)' : ''}</dd>
      <dt>Agents</dt><dd>${conv.participants.join(', ') || '—'}</dd>
      <dt>Status</dt><dd>${conv.status}${conv.statusReason === null ? '' : html` · ${visible(conv.statusReason)}`}</dd>
      <dt>Deadline</dt><dd><time datetime=${iso(conv.deadline)} title=${iso(conv.deadline)}>${when(conv.deadline)}</time></dd>
    </dl>
    <div class="rounds">${rounds.map((r) => html`<${RoundView} key=${r.round} round=${r} />`)}</div>
    ${consensus === null ? null : html`<${ConsensusView} consensus=${consensus} />`}
    ${rounds.length === 0 ? null : html`<${VerdictForm} conversationId=${c.id} verdict=${verdict} store=${store} />`}`;
}

export function ConversationCard({ c, open, detail, store }) {
  const bodyId = `conv-body-${c.id}`;
  return html`
    <article class=${`card status-${c.status}${open ? ' open' : ''}`} data-conv-id=${c.id} data-status=${c.status}>
      <button type="button" class="card-head" aria-expanded=${open ? 'true' : 'false'} aria-controls=${bodyId} onClick=${() => store.toggle(c.id)}>
        <span class="card-title">
          <span class="badge type">${c.type}</span>
          <span class="subject">${oneLine(c.subject, 140)}</span>
        </span>
        <span class="card-meta">
          <span class="progress">${progress(c)}</span>
          ${c.verdict === null ? null : html`<span class="badge verdict" title=${visible(c.verdict.verdict)}>verdict: ${oneLine(c.verdict.verdict, 40)}</span>`}
          <time datetime=${iso(c.updatedAt)} title=${iso(c.updatedAt)}>${relative(c.updatedAt)}</time>
        </span>
      </button>
      ${open ? html`<div class="card-body" id=${bodyId}><${Detail} c=${c} detail=${detail} store=${store} /></div>` : null}
    </article>`;
}
