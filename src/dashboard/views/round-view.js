// One round of a conversation: its question, every response recorded (counted or not, and why), and
// who it still waits for, with how the request to them went.
import { html } from '../html.js';
import { iso, visible, when } from '../format.js';
import { Text } from './text.js';

const NOT_COUNTED = {
  api: 'unverified: posted to the side channel, never counted',
};

function ResponseItem({ r }) {
  const note = r.counted ? null : (NOT_COUNTED[r.correlatedBy] ?? (r.fromParticipant ? 'not counted (a second answer, or late)' : 'not counted (not a participant)'));
  return html`
    <li class=${`response${r.counted ? '' : ' not-counted'}`} data-agent=${r.agent}>
      <div class="response-head">
        <strong class="who">${r.agent}</strong>
        <span class=${`badge auth auth-${r.auth}`} title="how the response was authenticated">${r.auth}</span>
        ${note === null ? null : html`<span class="badge warn">${note}</span>`}
        <time datetime=${iso(r.receivedAt)} title=${iso(r.receivedAt)}>${when(r.receivedAt)}</time>
      </div>
      <pre class="text body"><${Text} value=${r.body} /></pre>
    </li>`;
}

export function RoundView({ round: r }) {
  const requests = new Map(r.requests.map((q) => [q.agent, q]));
  return html`
    <section class="round" data-round=${r.round}>
      <h4>Round ${r.round} <span class=${`badge round-${r.status}`}>${r.status}</span> <span class="muted">${r.answered.length} of ${r.expected.length} answered</span></h4>
      <pre class="text question"><${Text} value=${r.question} /></pre>
      ${r.responses.length === 0 ? html`<p class="muted">No responses yet.</p>` : html`<ul class="responses">${r.responses.map((x) => html`<${ResponseItem} key=${x.id} r=${x} />`)}</ul>`}
      ${r.missing.length === 0 ? null : html`
        <p class="missing">Waiting for: ${r.missing.map((a, i) => {
          const q = requests.get(a);
          return html`${i > 0 ? ', ' : ''}<span class="who">${a}</span>${q === undefined ? '' : html` <span class=${`badge delivery-${q.delivery}`} title=${q.error === null ? '' : visible(q.error)}>${q.delivery}</span>`}`;
        })}</p>`}
    </section>`;
}
