// The page's state and everything that changes it: the first load, reloads driven by live events
// (coalesced, one request per burst), filters, expanded conversations, the inbox selection, and the
// two things a person does here (set a verdict, answer or acknowledge a message). Views read
// `store.state` and call the actions; the app re-renders on every change.
import { errorText, getJson, postJson } from './api.js';
import { LiveFeed } from './live.js';
import { refresher } from './refresher.js';

/** Conversations listed at most (the API allows up to 1000). */
export const CONVERSATION_LIMIT = 200;
/** Inbox rows listed at most (the API allows up to 500). */
export const INBOX_LIMIT = 200;
/** Reloads wait this long for more events of a burst. */
export const RELOAD_DELAY_MS = 120;
/** How long the search box waits for typing to pause. */
export const SEARCH_DELAY_MS = 250;

export const LANES = [
  { key: 'waiting', title: 'Waiting on answers', hint: 'nobody has answered the open round yet' },
  { key: 'active', title: 'Active', hint: 'answers are coming in' },
  { key: 'complete', title: 'Complete', hint: 'complete, closed or cancelled' },
  { key: 'timeout', title: 'Timed out', hint: 'the round ended before every answer arrived' },
];

/** The lane of a conversation as GET /api/conversations lists it (docs/api.md). */
export function laneOf(c) {
  if (c.status === 'timeout') return 'timeout';
  if (c.status !== 'active') return 'complete';
  const r = c.latestRound;
  if (r !== null && r !== undefined && r.answered.length === 0 && r.expected.length > 0) return 'waiting';
  return 'active';
}

const CONVERSATION_EVENTS = new Set(['conversation.opened', 'round.opened', 'response.received', 'round.closed', 'conversation.status', 'consensus.set']);
const INBOX_EVENTS = new Set(['message.received', 'message.read', 'message.handed_off', 'message.hand_off_failed', 'message.hand_off_suppressed']);

export class Store {
  state = {
    agent: null,
    version: null,
    connection: 'connecting',
    lastEvent: null,
    loadError: null,
    filters: { q: '', type: '', agent: '', since: '' },
    conversations: { list: [], hasMore: false, error: null, loaded: false },
    /** id → { data, error } of expanded conversations */
    details: {},
    expanded: new Set(),
    mesh: null,
    meshError: null,
    inbox: { mode: 'unread', messages: [], hasMore: false, error: null, loaded: false },
    /** The message open in the reading pane (kept when it leaves the unread list). */
    selected: null,
    /** What the person did last in the reading pane: { id, kind: 'replied' | 'acknowledged', text } */
    inboxNotice: null,
  };

  #listeners = new Set();
  #detailKicks = new Map();
  #searchTimer = null;

  constructor() {
    const report = (what) => (e) => this.#set({ loadError: `${what}: ${errorText(e)}` });
    this.kickConversations = refresher(() => this.loadConversations(), RELOAD_DELAY_MS, report('conversations'));
    this.kickMesh = refresher(() => this.loadMesh(), RELOAD_DELAY_MS, report('overview'));
    this.kickInbox = refresher(() => this.loadInbox(), RELOAD_DELAY_MS, report('inbox'));
    this.live = new LiveFeed({
      onEvent: (e) => this.#onEvent(e),
      onState: (connection) => this.#set({ connection }),
      onResync: () => void this.start(),
    });
  }

  subscribe(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #set(patch) {
    this.state = { ...this.state, ...patch };
    for (const l of this.#listeners) l(this.state);
  }

  /** Loads everything, then subscribes from the smallest eventSeq read: nothing in between is missed. */
  async start() {
    this.live.close();
    try {
      const health = await getJson('/api/health');
      this.#set({ agent: health.agent, version: health.version, loadError: null });
      const expanded = [...this.state.expanded];
      const seqs = await Promise.all([
        this.loadConversations(), this.loadMesh(), this.loadInbox(), ...expanded.map((id) => this.loadDetail(id)),
      ]);
      const after = Math.min(health.eventSeq, ...seqs.filter((s) => typeof s === 'number'));
      this.live.open(after);
    } catch (e) {
      this.#set({ loadError: `cannot reach this node's API: ${errorText(e)}`, connection: 'offline' });
      setTimeout(() => void this.start(), 5000);
    }
  }

  #onEvent(e) {
    this.#set({ lastEvent: { seq: e.seq, type: e.type, ts: e.ts } });
    const data = e.data ?? {};
    if (CONVERSATION_EVENTS.has(e.type)) {
      this.kickConversations();
      const id = data.conversationId;
      if (typeof id === 'string' && this.state.expanded.has(id)) this.#kickDetail(id);
    }
    if (e.type.startsWith('message.') || e.type.startsWith('peer.') || e.type.startsWith('circuit.') || e.type.startsWith('incident.')) this.kickMesh();
    if (INBOX_EVENTS.has(e.type)) this.kickInbox();
  }

  async loadConversations() {
    const f = this.state.filters;
    try {
      const r = await getJson('/api/conversations', { limit: CONVERSATION_LIMIT, q: f.q.trim(), type: f.type, agent: f.agent, since: f.since });
      this.#set({ conversations: { list: r.conversations, hasMore: r.hasMore, error: null, loaded: true } });
      return r.eventSeq;
    } catch (e) {
      this.#set({ conversations: { ...this.state.conversations, error: errorText(e), loaded: true } });
      return undefined;
    }
  }

  async loadDetail(id) {
    try {
      const r = await getJson(`/api/conversations/${encodeURIComponent(id)}`);
      if (this.state.expanded.has(id)) this.#set({ details: { ...this.state.details, [id]: { data: r, error: null } } });
      return r.eventSeq;
    } catch (e) {
      if (this.state.expanded.has(id)) this.#set({ details: { ...this.state.details, [id]: { data: this.state.details[id]?.data ?? null, error: errorText(e) } } });
      return undefined;
    }
  }

  #kickDetail(id) {
    let kick = this.#detailKicks.get(id);
    if (kick === undefined) {
      kick = refresher(() => this.loadDetail(id), RELOAD_DELAY_MS, () => undefined);
      this.#detailKicks.set(id, kick);
    }
    kick();
  }

  async loadMesh() {
    try {
      const r = await getJson('/api/mesh');
      this.#set({ mesh: r, meshError: null });
      return r.eventSeq;
    } catch (e) {
      this.#set({ meshError: errorText(e) });
      return undefined;
    }
  }

  async loadInbox() {
    const mode = this.state.inbox.mode;
    const params = mode === 'unread' ? { unread: 1, limit: INBOX_LIMIT } : { since: '7d', limit: INBOX_LIMIT };
    try {
      const r = await getJson('/api/inbox', params);
      const selected = this.state.selected === null ? null : (r.messages.find((m) => m.id === this.state.selected.id) ?? this.state.selected);
      this.#set({ inbox: { mode, messages: r.messages, hasMore: r.hasMore, error: null, loaded: true }, selected });
      return r.eventSeq;
    } catch (e) {
      this.#set({ inbox: { ...this.state.inbox, error: errorText(e), loaded: true } });
      return undefined;
    }
  }

  // ---- actions

  toggle(id) {
    const expanded = new Set(this.state.expanded);
    const details = { ...this.state.details };
    if (expanded.has(id)) {
      expanded.delete(id);
      delete details[id];
      this.#detailKicks.delete(id);
      this.#set({ expanded, details });
      return;
    }
    expanded.add(id);
    this.#set({ expanded, details });
    void this.loadDetail(id);
  }

  setFilter(name, value) {
    this.#set({ filters: { ...this.state.filters, [name]: value } });
    clearTimeout(this.#searchTimer);
    this.#searchTimer = setTimeout(() => this.kickConversations(), name === 'q' ? SEARCH_DELAY_MS : 0);
  }

  setInboxMode(mode) {
    this.#set({ inbox: { ...this.state.inbox, mode } });
    this.kickInbox();
  }

  select(message) {
    this.#set({ selected: message, inboxNotice: null });
  }

  /** Sets the verdict as this node (what `mesh consensus set` and bash's mesh-consensus-set.sh post). */
  async setVerdict(conversationId, verdict, summary) {
    const r = await postJson('/api/mesh/consensus', { conversationId, verdict, summary: summary === '' ? null : summary });
    this.#kickDetail(conversationId);
    return r;
  }

  async acknowledge(id) {
    const r = await postJson(`/api/inbox/${encodeURIComponent(id)}/ack`, {});
    this.#set({ inboxNotice: { id, kind: 'acknowledged', text: r.acknowledged ? 'Marked read.' : 'It was already read.' }, selected: this.#readCopy(id, r.readAt) });
    this.kickInbox();
    return r;
  }

  /** The open message marked read (it may have left the unread list, which no longer updates it). */
  #readCopy(id, readAt) {
    const m = this.state.selected;
    return m !== null && m.id === id ? { ...m, read: true, readAt } : m;
  }

  /** Answers a request as `mesh reply` does, then acknowledges it (it has been handled). */
  async reply(id, body) {
    const r = await postJson(`/api/inbox/${encodeURIComponent(id)}/reply`, { body });
    const how = r.results.map((x) => `${x.peer}: ${x.status}`).join(', ');
    const ack = await postJson(`/api/inbox/${encodeURIComponent(id)}/ack`, {});
    this.#set({ inboxNotice: { id, kind: 'replied', text: `Answer sent (${how}).` }, selected: this.#readCopy(id, ack.readAt) });
    this.kickInbox();
    return r;
  }
}
