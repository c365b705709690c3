/** What the local API's routes share: the node, its services, the live feed and the limits. */
import type { MeshNode } from '../../node/mesh-node.ts';
import type { conversationsOf } from '../../node/node-conversations.ts';
import type { EventFeed } from './event-feed.ts';
import type { EventStreamHandle } from './event-stream.ts';

export interface ApiContext {
  node: MeshNode;
  conversations: () => ReturnType<typeof conversationsOf>;
  feed: EventFeed;
  version: string;
  /** Read per request (live configuration). */
  maxBodyBytes: () => number;
  maxEventStreams: () => number;
  eventStreamBufferBytes: () => number;
  eventStreamStallMs: () => number;
  heartbeatMs: number;
  /** Open event streams (closed when the daemon stops). */
  streams: Set<EventStreamHandle>;
  /** Aborted when the daemon stops: ends the waits of POST /api/request. */
  signal: AbortSignal;
}
