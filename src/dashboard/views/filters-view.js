// Search and filters of the conversation board; the search runs on the node (full text over the
// questions and answers), the list reloads as the filters change.
import { html } from '../html.js';

const TYPES = ['rally', 'collab', 'escalation', 'broadcast', 'opinion', 'brainstorm'];
const SINCE = [['', 'any time'], ['1h', 'last hour'], ['24h', 'last 24 h'], ['7d', 'last 7 days'], ['30d', 'last 30 days']];

export function FiltersView({ store }) {
  const f = store.state.filters;
  const peers = store.state.mesh?.peers?.map((p) => p.name) ?? [];
  const agents = store.state.agent === null ? peers : [store.state.agent, ...peers];
  const on = (name) => (e) => store.setFilter(name, e.currentTarget.value);
  return html`
    <form class="filters" role="search" onSubmit=${(e) => e.preventDefault()}>
      <label class="grow">Search <input type="search" name="q" value=${f.q} onInput=${on('q')} placeholder="words in questions and answers" maxlength="500" autocomplete="off" /></label>
      <label>Type <select name="type" value=${f.type} onChange=${on('type')}>
        <option value="">all</option>
        ${TYPES.map((t) => html`<option value=${t}>${t}</option>`)}
      </select></label>
      <label>Agent <select name="agent" value=${f.agent} onChange=${on('agent')}>
        <option value="">all</option>
        ${agents.map((a) => html`<option value=${a}>${a}</option>`)}
      </select></label>
      <label>Since <select name="since" value=${f.since} onChange=${on('since')}>
        ${SINCE.map(([v, label]) => html`<option value=${v}>${label}</option>`)}
      </select></label>
    </form>`;
}
