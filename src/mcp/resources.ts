/**
 * Resources: the inbox (`mesh://inbox`: the unread messages; `mesh://inbox/{messageId}`: one, whole)
 * and the conversations (`mesh://conversations`, `mesh://conversations/{conversationId}`), as JSON.
 * Reading never marks anything read. Message text is marked as untrusted content.
 */
import { ProtocolError, ProtocolErrorCode, ResourceNotFoundError, ResourceTemplate, type McpServer } from '@modelcontextprotocol/server';
import { isMeshError } from '../protocol/errors.ts';
import type { Mesh } from '../sdk/mesh.ts';
import { conversationData, messageData } from './message-data.ts';
import { MAX_INBOX_PAGE } from './tool-limits.ts';
import { UNTRUSTED_NOTICE } from './tool-result.ts';

const JSON_TYPE = 'application/json';
const ID_RE = /^[A-Za-z0-9_.:-]{1,200}$/;

function json(uri: URL, data: Record<string, unknown>): { contents: { uri: string; mimeType: string; text: string }[] } {
  return { contents: [{ uri: uri.href, mimeType: JSON_TYPE, text: JSON.stringify({ untrustedContent: UNTRUSTED_NOTICE, ...data }, null, 1) }] };
}

function variable(v: string | string[] | undefined): string {
  const s = Array.isArray(v) ? v[0] : v;
  if (s === undefined || !ID_RE.test(s)) throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'not a MESH id');
  return s;
}

export function registerResources(server: McpServer, mesh: Mesh): void {
  server.registerResource('inbox', 'mesh://inbox', {
    title: 'Unread messages', description: `The unread messages of this node's inbox, oldest first (at most ${MAX_INBOX_PAGE}).`, mimeType: JSON_TYPE,
  }, (uri) => json(uri, { messages: mesh.inbox.list({ unread: true, limit: MAX_INBOX_PAGE }).map(messageData) }));

  server.registerResource('message', new ResourceTemplate('mesh://inbox/{messageId}', { list: undefined }), {
    title: 'A received message', description: 'One received message by id.', mimeType: JSON_TYPE,
  }, (uri, vars) => {
    const id = variable(vars['messageId']);
    try {
      return json(uri, { message: messageData(mesh.inbox.read(id)) });
    } catch (e) {
      if (isMeshError(e) && e.code === 'NOT_FOUND') throw new ResourceNotFoundError(uri.href);
      throw e;
    }
  });

  server.registerResource('conversations', 'mesh://conversations', {
    title: 'Conversations', description: 'The open and recent conversations of this node, newest first (at most 50).', mimeType: JSON_TYPE,
  }, (uri) => json(uri, {
    conversations: mesh.conversations({ limit: 50 }).map((c) => ({
      id: c.id, type: c.type, role: c.role, status: c.status, initiator: c.initiator, participants: c.participants, currentRound: c.currentRound,
      createdAt: new Date(c.createdAt).toISOString(), untrusted: { subject: c.subject },
    })),
  }));

  server.registerResource('conversation', new ResourceTemplate('mesh://conversations/{conversationId}', { list: undefined }), {
    title: 'A conversation', description: 'One conversation with its rounds and answers.', mimeType: JSON_TYPE,
  }, (uri, vars) => {
    const v = mesh.conversation(variable(vars['conversationId']));
    if (v === null) throw new ResourceNotFoundError(uri.href);
    return json(uri, { conversation: conversationData(v) });
  });
}
