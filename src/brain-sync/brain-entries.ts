/**
 * What brain-sync posts: bash's ingest body `{"text","agent","source_file"}` (mesh-brain-sync.sh,
 * bash-mesh-behavior.md §6.10), one per audit entry and one per conversation event, plus `id`: a
 * stable name of the entry (`mesh:<node>:audit:<seq>`, `mesh:<node>:event:<seq>`) a receiver can
 * de-duplicate on, since delivery is at least once. Receivers that know only bash's three keys can
 * ignore it. Everything here is secret-free: audit entries and events never hold tokens or bodies.
 */
import type { AuditEntry, MeshEventRecord } from '../ports/store.ts';
import { getField, type JsonValue } from '../protocol/json.ts';

export interface IngestEntry {
  text: string;
  agent: string;
  source_file: 'mesh-audit' | 'mesh-conversations';
  id: string;
}

/** The text of one entry is cut here: an ingest line, not a document. */
export const INGEST_TEXT_MAX_CHARS = 2000;

/** Event types that describe conversations (the ones brain-sync posts; the rest only move the cursor). */
const CONVERSATION_EVENT_TYPES: ReadonlySet<string> = new Set([
  'conversation.opened', 'round.opened', 'response.received', 'round.closed', 'conversation.status', 'consensus.set',
]);

export function isConversationEvent(type: string): boolean {
  return CONVERSATION_EVENT_TYPES.has(type);
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/g;

function clean(text: string): string {
  const flat = text.replace(CONTROL_RE, ' ');
  const chars = [...flat];
  return chars.length <= INGEST_TEXT_MAX_CHARS ? flat : `${chars.slice(0, INGEST_TEXT_MAX_CHARS - 1).join('')}…`;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** bash: `MESH <type> at <ts>: <from> → <to> [<status>]. <body or subject>[ (correlation: <id>)]`. */
export function auditIngest(self: string, e: AuditEntry & { seq: number }): IngestEntry {
  const what = e.subject ?? e.detail ?? '';
  const correlation = e.correlationId === null ? '' : ` (correlation: ${e.correlationId})`;
  const conversation = e.conversationId === null ? '' : ` (conversation: ${e.conversationId})`;
  return {
    text: clean(`MESH ${e.type ?? e.direction} at ${iso(e.ts)}: ${e.from ?? '-'} → ${e.to ?? '-'} [${e.status}]. ${what}${correlation}${conversation}`),
    agent: `mesh-${e.from ?? self}`,
    source_file: 'mesh-audit',
    id: `mesh:${self}:audit:${e.seq}`,
  };
}

const str = (data: JsonValue, key: string): string => {
  const v = getField(data, key);
  return v === undefined || v === null ? '-' : typeof v === 'string' ? v : JSON.stringify(v);
};
const list = (data: JsonValue, key: string): string => {
  const v = getField(data, key);
  return Array.isArray(v) && v.length > 0 ? v.map(String).join(', ') : 'nobody';
};

function eventText(r: MeshEventRecord): string {
  const d = r.data;
  const at = iso(r.ts);
  const conv = `MESH conversation ${str(d, 'conversationId')}`;
  switch (r.type) {
    case 'conversation.opened':
      return `${conv} opened at ${at}: ${str(d, 'conversationType')} by ${str(d, 'initiator')} with ${list(d, 'participants')} (this node: ${str(d, 'role')})`;
    case 'round.opened': {
      const quorum = getField(d, 'quorum');
      return `${conv} round ${str(d, 'round')} opened at ${at}: asking ${list(d, 'expected')}${typeof quorum === 'number' ? `, quorum ${quorum}` : ''}`;
    }
    case 'response.received':
      return `${conv} round ${str(d, 'round')} at ${at}: response ${str(d, 'responseId')} from ${str(d, 'from')} (${str(d, 'outcome')}${getField(d, 'counted') === true ? ', counted' : ''})`;
    case 'round.closed':
      return `${conv} round ${str(d, 'round')} closed at ${at}: ${str(d, 'status')}, ${str(d, 'answered')}/${str(d, 'expected')} answered`;
    case 'conversation.status': {
      const reason = getField(d, 'reason');
      return `${conv} at ${at}: status ${str(d, 'status')}${typeof reason === 'string' ? ` (${reason})` : ''}`;
    }
    case 'consensus.set':
      return `${conv} round ${str(d, 'round')} at ${at}: verdict "${str(d, 'verdict')}" set by ${str(d, 'setBy')} on ${str(d, 'basisCount')} response(s)`;
    default:
      return `MESH ${r.type} at ${at}: ${JSON.stringify(d)}`;
  }
}

/** A conversation event as an ingest entry; null for the other events (they are not posted). */
export function eventIngest(self: string, r: MeshEventRecord): IngestEntry | null {
  if (!isConversationEvent(r.type)) return null;
  const from = r.type === 'response.received' ? getField(r.data, 'from') : undefined;
  return {
    text: clean(eventText(r)),
    agent: `mesh-${typeof from === 'string' ? from : self}`,
    source_file: 'mesh-conversations',
    id: `mesh:${self}:event:${r.seq}`,
  };
}
