/**
 * The public API of the `openclaw-mesh` package (package.json "exports"), named exports only: the
 * SDK (`openMesh` → `Mesh`: send, request, reply, inbox, subscribe, rally, consensus, setVerdict,
 * peers, status; docs/sdk.md), the error types and codes callers branch on, the envelope types, and
 * the node itself for programs that run a daemon in-process.
 */
export { DEFAULT_INBOX_LIMIT, DEFAULT_REQUEST_TIMEOUT_MS, Mesh, MeshInbox, openMesh, type SendResult } from './sdk/mesh.ts';
export type {
  InboxListOptions, MessageMatch, MessageOptions, MessageView, OpenMeshOptions, RallyOptions, RallyResult, ReplyOptions,
  RequestOptions, SendOptions, WaitForMessageOptions,
} from './sdk/sdk-types.ts';
export {
  DEFAULT_SUBSCRIBE_POLL_MS, EventSubscription, type EventFilter, type SubscribeOptions,
} from './node/event-subscription.ts';
export type { MessageDetail } from './node/inbox-view.ts';
export type { PeerView, PeersView } from './node/peer-views.ts';
export type { StatusSnapshot } from './node/status-snapshot.ts';
export type { PeerOverview } from './node/mesh-overview.ts';
export type { RoundWaitEnd } from './node/await-round.ts';
export type {
  ConsensusReport, ConversationView, OpenRoundResult, RoundView, SetVerdictResult,
} from './node/node-conversations.ts';
export type { ConversationRecord, ConversationType } from './ports/conversation-repo.ts';
export type { MeshEventRecord } from './ports/store.ts';
export type { Logger } from './ports/logger.ts';
export type { MeshEvent, MeshEventType } from './protocol/events.ts';
export type { JsonValue } from './protocol/json.ts';
export { MeshError, MeshErrorCode, isMeshError, type MeshErrorOptions } from './protocol/errors.ts';
export { WireCode, wireCodeStatus } from './protocol/wire-codes.ts';
export {
  DEFAULT_TTL_SECONDS,
  MESSAGE_TYPES,
  PROTOCOL_EMITTED,
  PROTOCOLS_ACCEPTED,
  type Attachment,
  type Envelope,
  type EnvelopeFields,
  type InlineAttachment,
  type MessageType,
  type Payload,
  type RelayInfo,
  type ReplyTo,
  type UrlAttachment,
} from './protocol/envelope.ts';
export { MeshNode, openNode, type OpenNodeOptions } from './node/mesh-node.ts';
