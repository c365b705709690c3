// The verdict of a conversation: the one set (by whom, when, on how many answers) and a form to set
// it as this node, as `mesh consensus set` does.
import { Component, html } from '../html.js';
import { errorText } from '../api.js';
import { iso, when } from '../format.js';
import { Text } from './text.js';

export class VerdictForm extends Component {
  state = { busy: false, error: null, saved: false };

  submit = async (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    const verdict = String(data.get('verdict') ?? '').trim();
    const summary = String(data.get('summary') ?? '').trim();
    if (verdict === '') {
      this.setState({ error: 'Write a verdict first.', saved: false });
      return;
    }
    this.setState({ busy: true, error: null, saved: false });
    try {
      await this.props.store.setVerdict(this.props.conversationId, verdict, summary);
      form.reset();
      this.setState({ busy: false, saved: true });
    } catch (err) {
      this.setState({ busy: false, error: errorText(err) });
    }
  };

  render({ verdict: v, conversationId }, { busy, error, saved }) {
    const id = `verdict-${conversationId}`;
    return html`
      <section class="verdict">
        <h4>Verdict</h4>
        ${v === null ? html`<p class="muted">No verdict yet.</p>` : html`
          <div class="current-verdict">
            <p class="verdict-text text"><${Text} value=${v.verdict} /></p>
            ${v.summary === null || v.summary === '' ? null : html`<pre class="text summary"><${Text} value=${v.summary} /></pre>`}
            <p class="muted">set by ${v.setBy}, <time datetime=${iso(v.setAt)}>${when(v.setAt)}</time>, round ${v.round}, on ${v.basis.length} answer(s)</p>
          </div>`}
        <form class="verdict-form" onSubmit=${this.submit}>
          <label for=${`${id}-v`}>${v === null ? 'Set the verdict' : 'Replace the verdict'}</label>
          <input id=${`${id}-v`} name="verdict" maxlength="200" required autocomplete="off" placeholder="confirmed, 1260 rows" />
          <label for=${`${id}-s`}>Summary (optional)</label>
          <textarea id=${`${id}-s`} name="summary" maxlength="2000" rows="2"></textarea>
          <div class="form-actions">
            <button type="submit" disabled=${busy}>${busy ? 'Saving…' : 'Save verdict'}</button>
            ${saved ? html`<span class="ok" role="status">Verdict saved.</span>` : null}
            ${error === null ? null : html`<span class="error" role="alert">${error}</span>`}
          </div>
        </form>
      </section>`;
  }
}
