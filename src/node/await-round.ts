/**
 * Waiting for a conversation round to end (`mesh rally --wait`, `mesh converse --wait`). Answers
 * reach this node's `mesh serve`, which records them inside its storing transaction and appends
 * events; a separate process cannot hear the daemon's in-memory bus, so this polls the event log
 * from a sequence number taken before the round was opened (nothing recorded since is missed) and
 * re-reads the conversation whenever an event names it. Bounded: one indexed read per poll.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { getField } from '../protocol/json.ts';
import { acknowledgeMessages } from './acknowledge.ts';
import type { MeshNode } from './mesh-node.ts';
import type { ConversationService, ConversationView } from './node-conversations.ts';

export const ROUND_POLL_MS = 200;
/** Events read per query; a busier log is read in several pages within one poll. */
const EVENT_PAGE = 500;
/** Re-read the conversation this often even without an event naming it (a pruned log, a missed page). */
const REREAD_EVERY_POLLS = 25;

/**
 * How the wait ended: the round completed (all answered, or its quorum), timed out (its deadline
 * passed with the answers it had), was superseded by a later round, or the conversation was
 * closed/cancelled; or the wait itself ran out (`wait_expired`) or was interrupted (Ctrl-C).
 * An escalation ends with its conversation: complete (resolved), timeout, or closed (unresolved).
 */
export type RoundWaitEnd = 'complete' | 'timeout' | 'superseded' | 'closed' | 'wait_expired' | 'interrupted';

export interface AwaitRoundOptions {
  conversationId: string;
  round: number;
  /** `store.events.latestSeq()` before the round was opened. */
  fromSeq: number;
  timeoutMs: number;
  signal: AbortSignal;
  /** With the first view, and after every change to the conversation. */
  onChange?: (view: ConversationView) => void;
  /** After every poll, with the time waited so far (for a live clock on a terminal). */
  onTick?: (elapsedMs: number) => void;
}

/** Whether the round (an escalation: the conversation) is over, and how; null while it runs. */
export function roundEnd(view: ConversationView, round: number): RoundWaitEnd | null {
  const c = view.conversation;
  if (c.status === 'closed' || c.status === 'cancelled') return 'closed';
  if (c.type === 'escalation') {
    if (c.status === 'active') return null;
    return c.status === 'complete' ? 'complete' : 'timeout';
  }
  const r = view.rounds.find((x) => x.round === round);
  switch (r?.status) {
    case 'complete':
      return 'complete';
    case 'timeout':
      return 'timeout';
    case 'superseded':
      return 'superseded';
    default:
      return null;
  }
}

/**
 * Waits for the round to end, then marks the answers it returns read: whoever waited (the CLI, the
 * SDK, the MCP server) shows them to the agent, so they must not come back as unread in its inbox,
 * as the answer to `mesh request` does not.
 */
export async function awaitRound(
  node: MeshNode, conversations: ConversationService, o: AwaitRoundOptions,
): Promise<{ end: RoundWaitEnd; view: ConversationView | null }> {
  const result = await waitForRoundEnd(node, conversations, o);
  if (result.view !== null) {
    const escalation = result.view.conversation.type === 'escalation';
    const shown = result.view.rounds.filter((r) => escalation || r.round === o.round).flatMap((r) => r.responses.map((x) => x.id));
    if (shown.length > 0) acknowledgeMessages(node, shown, node.clock.now());
  }
  return result;
}

async function waitForRoundEnd(
  node: MeshNode, conversations: ConversationService, o: AwaitRoundOptions,
): Promise<{ end: RoundWaitEnd; view: ConversationView | null }> {
  const start = node.clock.now();
  let seq = o.fromSeq;
  let view = conversations.get(o.conversationId);
  if (view !== null) o.onChange?.(view);
  for (let polls = 1; ; polls++) {
    if (view === null) return { end: 'closed', view }; // deleted (mesh conv cleanup) while we waited
    const end = roundEnd(view, o.round);
    if (end !== null) return { end, view };
    const elapsed = node.clock.now() - start;
    if (elapsed >= o.timeoutMs) return { end: 'wait_expired', view };
    if (o.signal.aborted) return { end: 'interrupted', view };
    await sleep(Math.min(ROUND_POLL_MS, o.timeoutMs - elapsed), undefined, { signal: o.signal }).catch(() => undefined);
    o.onTick?.(node.clock.now() - start);
    let changed = polls % REREAD_EVERY_POLLS === 0;
    for (;;) {
      const page = node.store.events.after(seq, EVENT_PAGE);
      for (const e of page) {
        seq = e.seq;
        if (getField(e.data, 'conversationId') === o.conversationId) changed = true;
      }
      if (page.length < EVENT_PAGE) break;
    }
    if (changed) {
      view = conversations.get(o.conversationId);
      if (view !== null) o.onChange?.(view);
    }
  }
}
