// The consensus tally of a round: each distinct answer (as the analysis normalised it) with the
// agents who gave it, and the verdict of the analysis (match, near match, close, disagree…).
import { html } from '../html.js';
import { oneLine } from '../format.js';

const KIND_TEXT = {
  match: 'match', near_match: 'near match (within 1 %)', close: 'close (within 5 %)', disagree: 'disagree',
  insufficient: 'not enough answers', no_data: 'no answers',
};

export function tally(consensus) {
  const groups = new Map();
  consensus.values.forEach((value, i) => {
    const g = groups.get(value) ?? { value, agents: [] };
    g.agents.push(consensus.agents[i] ?? '?');
    groups.set(value, g);
  });
  return [...groups.values()].sort((a, b) => b.agents.length - a.agents.length);
}

export function ConsensusView({ consensus: k }) {
  const groups = tally(k);
  const total = k.values.length;
  return html`
    <section class="consensus" data-consensus=${k.consensus}>
      <h4>Consensus <span class="muted">${k.round === null ? '' : `round ${k.round}`}</span></h4>
      <p class="consensus-summary"><span class=${`badge consensus-${k.consensus}`}>${KIND_TEXT[k.consensus] ?? k.consensus}</span>
        ${k.discrepancy === null || k.discrepancy === undefined ? null : html` <span class="muted">spread ${k.discrepancy} %</span>`}</p>
      ${groups.length === 0 ? html`<p class="muted">No counted answers yet.</p>` : html`
        <ul class="tally">
          ${groups.map((g) => html`
            <li data-value=${g.value}>
              <span class="value text">${oneLine(g.value, 80)}</span>
              <meter min="0" max=${total} value=${g.agents.length}>${g.agents.length}/${total}</meter>
              <span class="votes">${g.agents.length}/${total}: ${g.agents.join(', ')}</span>
            </li>`)}
        </ul>`}
      ${k.majority === null ? null : html`<p class="muted">Majority: ${oneLine(k.majority.value, 80)} (${Math.round(k.majority.share * 100)} %)${k.dissenters.length > 0 ? `; dissenting: ${k.dissenters.join(', ')}` : ''}</p>`}
    </section>`;
}
