import type { JsonValue } from '../../protocol/json.ts';
import type {
  BreakerRecord, ConversationRecord, ConversationRequestRecord, DeadLetter, IncidentRecord, InboxMessage, MeshEventRecord,
  OutboxMessage, PeerHealth, ResponseRecord, RoundRecord, SessionRecord, Store,
} from '../../ports/store.ts';
import type { A2ATaskEvent, A2ATaskRecord, RemoteTaskRecord } from '../../ports/a2a-tasks.ts';
import { MemoryA2ATaskRepo } from './memory-a2a-tasks.ts';
import { MemoryConversationRepo } from './memory-conversations.ts';
import { MemoryEventLog, MemorySessionRepo } from './memory-sessions.ts';
import type { StoredSessionMessage } from './memory-sessions.ts';
import { MemoryAuditRepo, MemoryInboxRepo, MemoryNonceRepo } from './memory-inbox.ts';
import type { NonceEntry, SeqAuditEntry } from './memory-inbox.ts';
import { Journal, MemCounter, MemTable } from './memory-journal.ts';
import { MemoryDeadLetterRepo, MemoryOutboxRepo } from './memory-outbox.ts';
import { MemoryBreakerRepo, MemoryIncidentRepo, MemoryKeyValueRepo, MemoryPeerHealthRepo } from './memory-state.ts';

/**
 * The Store in memory, for unit tests: same contract as the SQLite adapter (both pass
 * test/contract/store-contract.ts), single process, no persistence. Transactions roll back on throw
 * and nest; with no concurrency, every method is atomic by construction.
 */
export function createMemoryStore(): Store {
  const journal = new Journal();
  const table = <V>(): MemTable<V> => new MemTable<V>(journal);
  const outbox = table<OutboxMessage>();
  return {
    outbox: new MemoryOutboxRepo(outbox),
    deadLetters: new MemoryDeadLetterRepo(outbox, table<DeadLetter>()),
    inbox: new MemoryInboxRepo(table<InboxMessage>()),
    nonces: new MemoryNonceRepo(table<NonceEntry>()),
    audit: new MemoryAuditRepo(table<SeqAuditEntry>(), new MemCounter(journal)),
    breakers: new MemoryBreakerRepo(table<BreakerRecord>()),
    peers: new MemoryPeerHealthRepo(table<PeerHealth>()),
    kv: new MemoryKeyValueRepo(table<JsonValue>()),
    conversations: new MemoryConversationRepo({
      conversations: table<ConversationRecord>(),
      rounds: table<RoundRecord>(),
      responses: table<ResponseRecord>(),
      requests: table<ConversationRequestRecord>(),
    }),
    incidents: new MemoryIncidentRepo(table<IncidentRecord>()),
    sessions: new MemorySessionRepo(table<SessionRecord>(), table<StoredSessionMessage>(), new MemCounter(journal)),
    events: new MemoryEventLog(table<MeshEventRecord>(), new MemCounter(journal)),
    a2aTasks: new MemoryA2ATaskRepo(table<A2ATaskRecord>(), table<A2ATaskEvent>(), new MemCounter(journal), table<RemoteTaskRecord>()),
    transaction: (fn) => journal.run(fn),
    afterCommit: (fn) => journal.afterCommit(fn),
    close: () => {
      // Nothing to release.
    },
  };
}
