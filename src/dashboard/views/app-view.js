// The page: a header with the node and the live connection, the conversation board, and the inbox,
// peers and message log panels. Re-renders on every store change.
import { Component, html } from '../html.js';
import { FiltersView } from './filters-view.js';
import { InboxView } from './inbox-view.js';
import { LanesView } from './lanes-view.js';
import { MessagesView } from './messages-view.js';
import { PeersView } from './peers-view.js';

/** How often relative times ("2 min ago") are redrawn. */
export const CLOCK_TICK_MS = 15_000;

const CONNECTION_TEXT = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  offline: 'offline',
};

function Header({ state }) {
  const c = state.connection;
  return html`
    <header class="top">
      <h1><span class="brand">MESH</span> <span class="agent">${state.agent ?? '…'}</span></h1>
      <p class="status-line">
        <span class=${`conn conn-${c}`} role="status" data-connection=${c}>${CONNECTION_TEXT[c] ?? c}</span>
        ${state.lastEvent === null ? null : html`<span class="muted last-event">last event #${state.lastEvent.seq} ${state.lastEvent.type}</span>`}
        ${state.version === null ? null : html`<span class="muted">v${state.version}</span>`}
      </p>
    </header>`;
}

export class AppView extends Component {
  componentDidMount() {
    this.unsubscribe = this.props.store.subscribe(() => this.forceUpdate());
    // "12 s ago" ages without events.
    this.ticker = setInterval(() => this.forceUpdate(), CLOCK_TICK_MS);
  }

  componentWillUnmount() {
    this.unsubscribe?.();
    clearInterval(this.ticker);
  }

  render({ store }) {
    const s = store.state;
    return html`
      <${Header} state=${s} />
      ${s.loadError === null ? null : html`<p class="error banner" role="alert">${s.loadError}</p>`}
      <main>
        <section class="panel conversations" aria-labelledby="conversations-h">
          <h2 id="conversations-h">Conversations</h2>
          <${FiltersView} store=${store} />
          <${LanesView} store=${store} />
        </section>
        <div class="panels">
          <${InboxView} store=${store} />
          <${PeersView} mesh=${s.mesh} error=${s.meshError} />
          <${MessagesView} mesh=${s.mesh} />
        </div>
      </main>`;
  }
}
