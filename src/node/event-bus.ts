/**
 * EventSink that persists every event to the store's event log (so other processes and SSE clients
 * can resume from a sequence number) and notifies in-process subscribers after the commit.
 */
import type { EventSink } from '../ports/events.ts';
import type { MeshEventRecord, Store } from '../ports/store.ts';
import type { Clock } from '../ports/clock.ts';
import type { MeshEvent } from '../protocol/events.ts';
import type { JsonValue } from '../protocol/json.ts';

export type EventListener = (record: MeshEventRecord) => void;

export class EventBus implements EventSink {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #listeners = new Set<EventListener>();

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  emit(event: MeshEvent): void {
    const ts = this.#clock.now();
    const { type, ...data } = event;
    const seq = this.#store.events.append(type, data as unknown as JsonValue, ts);
    if (this.#listeners.size === 0) return;
    const record: MeshEventRecord = { seq, ts, type, data: data as unknown as JsonValue };
    // Listeners hear of an event once it is committed (ARCHITECTURE.md §3), never of one rolled back.
    this.#store.afterCommit(() => {
      for (const l of this.#listeners) {
        try {
          l(record);
        } catch {
          // A broken listener must not break delivery.
        }
      }
    });
  }

  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
