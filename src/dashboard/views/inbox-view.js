// The inbox: what this node received, unread first (or everything of the last 7 days), and a
// reading pane where a person reads a message and answers a request (a response to its sender, as
// `mesh reply` does) or marks it read.
import { Component, html } from '../html.js';
import { errorText } from '../api.js';
import { iso, oneLine, visible, when } from '../format.js';
import { Text } from './text.js';

class ReplyForm extends Component {
  state = { busy: false, error: null };

  submit = async (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const body = String(new FormData(form).get('body') ?? '');
    if (body.trim() === '') {
      this.setState({ error: 'Write an answer first.' });
      return;
    }
    this.setState({ busy: true, error: null });
    try {
      await this.props.store.reply(this.props.message.id, body);
      form.reset();
      this.setState({ busy: false });
    } catch (err) {
      this.setState({ busy: false, error: errorText(err) });
    }
  };

  render({ message }, { busy, error }) {
    const id = `reply-${message.id}`;
    return html`
      <form class="reply-form" onSubmit=${this.submit}>
        <label for=${id}>Answer ${message.from}</label>
        <textarea id=${id} name="body" rows="3" required></textarea>
        <div class="form-actions">
          <button type="submit" disabled=${busy}>${busy ? 'Sending…' : 'Send answer'}</button>
          ${error === null ? null : html`<span class="error" role="alert">${error}</span>`}
        </div>
      </form>`;
  }
}

class AckButton extends Component {
  state = { busy: false, error: null };

  click = async () => {
    this.setState({ busy: true, error: null });
    try {
      await this.props.store.acknowledge(this.props.id);
      this.setState({ busy: false });
    } catch (err) {
      this.setState({ busy: false, error: errorText(err) });
    }
  };

  render(_props, { busy, error }) {
    return html`<button type="button" class="secondary" disabled=${busy} onClick=${this.click}>Mark read</button>
      ${error === null ? null : html`<span class="error" role="alert">${error}</span>`}`;
  }
}

function Reader({ m, store }) {
  const notice = store.state.inboxNotice;
  return html`
    <article class="reader" data-message-id=${m.id} aria-label="message">
      <h3 class="subject text">${oneLine(m.subject, 200) || '(no subject)'}</h3>
      <dl class="facts">
        <dt>From</dt><dd>${m.from} <span class=${`badge auth auth-${m.auth}`}>${m.auth}</span></dd>
        <dt>Type</dt><dd>${m.type}${m.priority === 'normal' || m.priority === null ? '' : ` · ${visible(String(m.priority))}`}</dd>
        <dt>Received</dt><dd><time datetime=${iso(m.receivedAt)}>${when(m.receivedAt)}</time>${m.read ? ' · read' : ' · unread'}</dd>
        ${m.conversationId === null ? null : html`<dt>Conversation</dt><dd><code>${m.conversationId}</code></dd>`}
        ${m.attachments.length === 0 ? null : html`<dt>Attachments</dt><dd>${m.attachments.length} (see mesh inbox show ${m.id})</dd>`}
      </dl>
      <pre class="text body"><${Text} value=${m.body} /></pre>
      ${notice !== null && notice.id === m.id ? html`<p class="ok" role="status">${notice.text}</p>` : null}
      ${m.type === 'request' && !(notice !== null && notice.id === m.id && notice.kind === 'replied') ? html`<${ReplyForm} key=${m.id} message=${m} store=${store} />` : null}
      ${m.read ? null : html`<div class="form-actions"><${AckButton} key=${m.id} id=${m.id} store=${store} /></div>`}
    </article>`;
}

export function InboxView({ store }) {
  const { inbox, selected } = store.state;
  const list = [...inbox.messages].reverse(); // newest first
  const unread = inbox.mode === 'unread';
  return html`
    <section class="panel inbox" aria-labelledby="inbox-h">
      <h2 id="inbox-h">Inbox <span class="count">${inbox.loaded ? inbox.messages.length : '…'}${unread ? ' unread' : ''}</span></h2>
      <div class="toggle" role="group" aria-label="which messages">
        <button type="button" aria-pressed=${unread ? 'true' : 'false'} onClick=${() => store.setInboxMode('unread')}>Unread</button>
        <button type="button" aria-pressed=${unread ? 'false' : 'true'} onClick=${() => store.setInboxMode('all')}>Last 7 days</button>
      </div>
      ${inbox.error === null ? null : html`<p class="error" role="alert">${inbox.error}</p>`}
      ${inbox.loaded && list.length === 0 ? html`<p class="muted">${unread ? 'Nothing unread.' : 'Nothing received in the last 7 days.'}</p>` : null}
      ${list.length === 0 ? null : html`<ul class="message-list">
        ${list.map((m) => html`
          <li key=${m.id}>
            <button type="button" class=${`message-row${m.read ? '' : ' unread'}${selected?.id === m.id ? ' selected' : ''}`} data-message-id=${m.id} onClick=${() => store.select(m)}>
              <span class="who">${m.from}</span> <span class="badge type">${m.type}</span>
              <span class="subject">${oneLine(m.subject || m.body, 90)}</span>
              <time datetime=${iso(m.receivedAt)}>${when(m.receivedAt)}</time>
            </button>
          </li>`)}
      </ul>`}
      ${inbox.hasMore ? html`<p class="muted">More messages than shown; use mesh inbox for the rest.</p>` : null}
      ${selected === null ? null : html`<${Reader} key=${selected.id} m=${selected} store=${store} />`}
    </section>`;
}
