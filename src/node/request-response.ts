/**
 * The request use case behind `mesh request`, `POST /api/request`, the SDK's `request` and the MCP
 * `request` tool: send one `request` to one agent, wait for the response correlated to it
 * (awaitResponse), and mark that response read (whoever asked has now seen it).
 */
import { acknowledgeMessages } from './acknowledge.ts';
import type { InboxMessage } from '../ports/store.ts';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { awaitResponse } from './await-response.ts';
import type { MeshNode } from './mesh-node.ts';
import { sendMessage, type SendInput, type TargetResult } from './send-message.ts';

/**
 * `a,b`, `all` and `@group` name several agents (a group may grow, so it counts as several even with
 * one member today). A request waits for one answer; asking several is a rally's job.
 */
export function namesSeveralAgents(target: string): boolean {
  const t = target.trim();
  return t === 'all' || t.startsWith('@') || new Set(t.split(/[\s,]+/).filter(Boolean)).size > 1;
}

/** INVALID_ARGUMENT when `target` names several agents, with the commands that do that instead. */
export function assertOneAgent(target: string): void {
  if (!namesSeveralAgents(target)) return;
  throw new MeshError(
    MeshErrorCode.InvalidArgument,
    `mesh request asks one agent and waits for its answer, but "${target}" names several: ` +
      `use \`mesh rally "<question>" --agents ${target.trim().split(/[\s,]+/).filter(Boolean).join(',')} --wait 60\` to ask several agents and collect their answers, ` +
      `or \`mesh send ${target} request <message>\` to send without waiting`,
  );
}

/**
 * How a request ended: answered; the request could not be sent (`not_sent`: refused, dead-lettered
 * or expired on its first attempt, or a dry run); no answer in time (`timeout`); dead-lettered while
 * waiting (`dead_lettered`); the wait was aborted (`interrupted`).
 */
export type RequestEnd = 'answered' | 'not_sent' | 'timeout' | 'dead_lettered' | 'interrupted';

export interface RequestOutcome {
  end: RequestEnd;
  request: TargetResult;
  response: InboxMessage | null;
}

export interface RequestWaitOptions {
  timeoutMs: number;
  signal: AbortSignal;
  /** Right after the send's first attempt, before waiting. */
  onSent?: (request: TargetResult) => void;
  onProgress?: (elapsedMs: number, state: string) => void;
}

export async function requestAndAwait(node: MeshNode, input: Omit<SendInput, 'type'>, o: RequestWaitOptions): Promise<RequestOutcome> {
  assertOneAgent(input.target);
  const [request] = await sendMessage(node, { ...input, type: 'request' });
  if (request === undefined) throw new MeshError(MeshErrorCode.UnknownAgent, `no target "${input.target}"`);
  o.onSent?.(request);
  if (request.id === null || (request.status !== 'delivered' && request.status !== 'queued')) {
    return { end: 'not_sent', request, response: null };
  }
  const response = await awaitResponse(node, request.id, o.timeoutMs, o.signal, o.onProgress);
  if (response === null) {
    const end: RequestEnd = node.store.deadLetters.get(request.id) !== null ? 'dead_lettered' : o.signal.aborted ? 'interrupted' : 'timeout';
    return { end, request, response: null };
  }
  acknowledgeMessages(node, [response.id], node.clock.now());
  return { end: 'answered', request, response: node.store.inbox.get(response.id) ?? response };
}
