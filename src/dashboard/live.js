// The one live connection of the page: an EventSource on /api/events. The browser resumes by itself
// after a dropped connection (it sends Last-Event-ID, so nothing is lost or repeated); the stream's
// control events stream.reset and stream.truncated, and a stream the browser gave up on, make the
// page reload its state and subscribe again from that state's eventSeq (docs/api.md, "Building a client").

// Named events are only delivered to listeners for their name: every type the page reacts to.
export const EVENT_TYPES = [
  'message.queued', 'message.delivered', 'message.retry_scheduled', 'message.dead_lettered', 'message.expired',
  'message.replayed', 'message.received', 'message.rejected', 'message.handed_off', 'message.hand_off_failed',
  'message.hand_off_suppressed', 'message.read',
  'circuit.opened', 'circuit.half_opened', 'circuit.closed', 'peer.health',
  'conversation.opened', 'round.opened', 'response.received', 'round.closed', 'conversation.status', 'consensus.set',
  'incident.opened', 'incident.updated', 'incident.resolved',
];
const RESYNC_TYPES = ['stream.reset', 'stream.truncated'];
/** How long to wait before subscribing again after the browser gave up on the stream. */
export const RETRY_AFTER_CLOSE_MS = 5000;

export class LiveFeed {
  #source = null;
  #retry = null;

  /**
   * onEvent({seq, ts, type, data}); onState('connecting' | 'live' | 'reconnecting' | 'offline');
   * onResync(): reload the state, then call open(eventSeq) again.
   */
  constructor({ onEvent, onState, onResync }) {
    this.onEvent = onEvent;
    this.onState = onState;
    this.onResync = onResync;
  }

  open(after) {
    this.close();
    this.onState('connecting');
    const source = new EventSource(`/api/events?after=${encodeURIComponent(String(after))}`);
    this.#source = source;
    source.addEventListener('open', () => this.onState('live'));
    source.addEventListener('error', () => {
      if (this.#source !== source) return;
      if (source.readyState === EventSource.CLOSED) {
        // A refusal (the daemon stopping, too many streams): the browser does not retry by itself.
        this.onState('offline');
        this.#source = null;
        this.#retry = setTimeout(() => this.onResync(), RETRY_AFTER_CLOSE_MS);
      } else {
        this.onState('reconnecting');
      }
    });
    const deliver = (e) => {
      let record;
      try {
        record = JSON.parse(e.data);
      } catch {
        return; // not ours to show
      }
      if (record !== null && typeof record === 'object' && typeof record.type === 'string') this.onEvent(record);
    };
    for (const type of EVENT_TYPES) source.addEventListener(type, deliver);
    for (const type of RESYNC_TYPES) {
      source.addEventListener(type, () => {
        if (this.#source !== source) return;
        this.close();
        this.onResync();
      });
    }
  }

  close() {
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#retry = null;
    this.#source?.close();
    this.#source = null;
  }
}
