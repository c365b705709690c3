/**
 * The public API of the `openclaw-mesh` package (package.json "exports"), named exports only. For now:
 * the error types and codes callers branch on, the envelope types, and the node itself; the SDK proper
 * (send, request, inbox without the CLI) is built on these later.
 */
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
