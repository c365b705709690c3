/**
 * Tells the daemon's waiting A2A requests and streams that a task changed. Changes come from this
 * process (told after commit through `kick`) and from others (`mesh reply` is a CLI process writing
 * the same SQLite file), found by reading the task events past the last one seen every
 * `pollIntervalMs`, only while someone is waiting. Listeners are woken, never handed data: each
 * reads its task's events from its own cursor, so a missed wake-up costs latency, not events.
 */
import type { MeshNode } from '../mesh-node.ts';

export interface A2AFeed {
  /** Calls `wake` whenever the task may have changed; returns the unsubscribe function. */
  watch(taskId: string, wake: () => void): () => void;
  /** Look now (after a change this process committed). */
  kick(): void;
  close(): void;
}

export function createA2AFeed(node: MeshNode): A2AFeed {
  const watchers = new Map<string, Set<() => void>>();
  let last = node.store.a2aTasks.latestEventSeq();
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const wakeAll = (taskId: string): void => {
    for (const w of watchers.get(taskId) ?? []) w();
  };
  const poll = (): void => {
    if (closed) return;
    try {
      for (;;) {
        const batch = node.store.a2aTasks.eventsAfter(last, 500);
        const changed = new Set<string>();
        for (const e of batch) {
          last = e.seq;
          changed.add(e.taskId);
        }
        for (const id of changed) wakeAll(id);
        if (batch.length < 500) break;
      }
    } catch (e) {
      node.logger.warn('a2a: reading task events failed', { error: (e as Error).name });
    }
  };
  const schedule = (): void => {
    if (timer !== null || closed || watchers.size === 0) return;
    timer = setInterval(() => {
      if (watchers.size === 0 && timer !== null) {
        clearInterval(timer);
        timer = null;
        return;
      }
      poll();
    }, node.config.a2a.pollIntervalMs);
    timer.unref();
  };
  return {
    watch(taskId, wake) {
      let set = watchers.get(taskId);
      if (set === undefined) watchers.set(taskId, (set = new Set()));
      set.add(wake);
      schedule();
      return () => {
        set.delete(wake);
        if (set.size === 0) watchers.delete(taskId);
      };
    },
    kick: () => queueMicrotask(poll),
    close() {
      closed = true;
      if (timer !== null) clearInterval(timer);
      timer = null;
      for (const set of watchers.values()) for (const w of set) w();
      watchers.clear();
    },
  };
}
