// Peers at a glance: reachability and latency from the last probe, circuit breaker state, messages
// waiting in the outbox and dead letters; then the dead letters themselves.
import { html } from '../html.js';
import { iso, oneLine, relative, when } from '../format.js';

function health(p) {
  if (p.health === null) return html`<span class="badge muted-badge">not probed</span>`;
  return p.health.reachable
    ? html`<span class="badge ok-badge">up</span> <span class="latency">${p.health.latencyMs === null ? '' : `${p.health.latencyMs} ms`}</span>`
    : html`<span class="badge bad-badge" title=${`${p.health.consecutiveFailures} failed probe(s)`}>down</span>`;
}

export function PeersView({ mesh, error }) {
  const peers = mesh?.peers ?? [];
  const dead = mesh?.deadLetters ?? [];
  const stats = mesh?.stats;
  return html`
    <section class="panel peers" aria-labelledby="peers-h">
      <h2 id="peers-h">Peers <span class="count">${peers.length}</span></h2>
      ${error === null ? null : html`<p class="error" role="alert">${error}</p>`}
      ${stats === undefined ? null : html`<p class="muted">Last ${stats.hours} h: ${stats.totalSent} sent, ${stats.totalReceived} received, ${stats.totalFailed} failed</p>`}
      ${mesh !== null && peers.length === 0 ? html`<p class="muted">No peers yet (mesh join).</p>` : null}
      <table class="peers-table">
        <thead><tr><th scope="col">Peer</th><th scope="col">Health</th><th scope="col">Circuit</th><th scope="col">Queued</th><th scope="col">Dead</th></tr></thead>
        <tbody>
          ${peers.map((p) => html`
            <tr key=${p.name} data-peer=${p.name}>
              <th scope="row">${p.name}<span class="muted small">${p.signing === 'none' ? ' unsigned' : ` ${p.signing}`}</span></th>
              <td>${health(p)}${p.health === null ? null : html`<time class="muted small" datetime=${iso(p.health.lastProbeAt)}> ${relative(p.health.lastProbeAt)}</time>`}</td>
              <td><span class=${`badge circuit-${p.circuit.state}`}>${p.circuit.state}</span>${p.circuit.openUntil === null ? null : html`<span class="muted small"> until ${when(p.circuit.openUntil)}</span>`}</td>
              <td class="num">${p.queued}</td>
              <td class="num">${p.deadLetters}</td>
            </tr>`)}
        </tbody>
      </table>
      ${dead.length === 0 ? null : html`
        <h3>Dead letters <span class="count">${dead.length}</span></h3>
        <ul class="dead-letters">
          ${[...dead].reverse().slice(0, 50).map((d) => html`
            <li key=${d.id}><span class="who">${d.peer}</span> <span class="badge type">${d.type}</span> <span class="text">${oneLine(d.subject, 80)}</span>
              <span class="muted small">${d.reason}${d.lastError === null ? '' : `: ${oneLine(d.lastError, 60)}`} · <time datetime=${iso(d.failedAt)}>${when(d.failedAt)}</time></span></li>`)}
        </ul>`}
    </section>`;
}
