/**
 * A stored task as A2A 1.0 sees it (protocol/a2a/a2a-wire.ts), and the StreamResponses its changes
 * are. The artifact holds the agent's answer; the history holds the client's message.
 */
import type { A2AArtifact, A2AMessage, A2AStreamResponse, A2ATask, A2ATaskStatus } from '../../protocol/a2a/a2a-wire.ts';
import type { A2ATaskRecord, A2ATaskState } from '../../ports/a2a-tasks.ts';

export const A2A_ARTIFACT_NAME = 'reply';

const iso = (ms: number): string => new Date(ms).toISOString();

export function artifactOf(t: Pick<A2ATaskRecord, 'id'>, text: string): A2AArtifact {
  return { artifactId: `${t.id}-reply`, name: A2A_ARTIFACT_NAME, parts: [{ text }] };
}

function agentMessage(t: A2ATaskRecord, text: string): A2AMessage {
  return { messageId: `${t.id}-status`, role: 'ROLE_AGENT', parts: [{ text }], contextId: t.contextId, taskId: t.id };
}

export function statusOf(t: A2ATaskRecord, state: A2ATaskState = t.state, at: number = t.updatedAt, text: string | null = t.statusText): A2ATaskStatus {
  return { state, timestamp: iso(at), ...(text === null ? {} : { message: agentMessage(t, text) }) };
}

export interface TaskViewOptions {
  /** Messages of history to include (A2A: 0 = none, absent = all). */
  historyLength?: number | undefined;
  includeArtifacts?: boolean | undefined;
}

export function taskView(t: A2ATaskRecord, o: TaskViewOptions = {}): A2ATask {
  const history = JSON.parse(t.request) as A2AMessage;
  const view: A2ATask = { id: t.id, contextId: t.contextId, status: statusOf(t) };
  if (o.includeArtifacts !== false && t.resultText !== null) view.artifacts = [artifactOf(t, t.resultText)];
  if (o.historyLength !== 0) view.history = [history];
  return view;
}

export function statusEvent(t: A2ATaskRecord, state: A2ATaskState, at: number, text: string | null): A2AStreamResponse {
  return { statusUpdate: { taskId: t.id, contextId: t.contextId, status: statusOf(t, state, at, text) } };
}

export function artifactEvent(t: A2ATaskRecord, text: string): A2AStreamResponse {
  return { artifactUpdate: { taskId: t.id, contextId: t.contextId, artifact: artifactOf(t, text), append: false, lastChunk: true } };
}
