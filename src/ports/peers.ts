/**
 * What a node knows about each peer, read from config/agent-registry.json (bash "2.0" schema plus
 * our extensions). The registry adapter lives in node/; services see only this port.
 */
export type SigningScheme = 'none' | 'hmac' | 'ed25519';
export type EncryptionScheme = 'none' | 'aes-256-cbc' | 'aes-256-gcm';
/** How messages reach a peer: HTTP hooks (bash nodes, gateways, MESH-TS nodes) or NATS JetStream. */
export type PeerTransport = 'http' | 'nats' | 'a2a';

export interface PeerConfig {
  name: string;
  /** Base URL of the peer's hook endpoint host, e.g. http://10.0.0.5:18789 (from `url`, or ip+port). */
  baseUrl: string;
  /** Bearer token of that peer's hooks (a secret). */
  token: string | null;
  role: string;
  /** How we sign messages TO this peer and how we verify messages FROM it. */
  signing: SigningScheme;
  /** How we encrypt bodies when --encrypt is asked for this peer. */
  encryption: EncryptionScheme;
  /** Ed25519 public key of the peer (base64 of the raw 32 bytes), when known. */
  publicKey: string | null;
  /** Hook base path on the peer, default /hooks. */
  hookBasePath: string;
  /**
   * How it is reached (absent: http, MESH and OpenClaw webhooks). A NATS peer's baseUrl is
   * `nats:<name>` and names no server: the node's own `nats` configuration says which servers carry
   * the fleet. An `a2a` peer is an A2A 1.0 agent: `baseUrl` is its JSON-RPC endpoint, `token` its
   * bearer token (docs/a2a.md).
   */
  transport?: PeerTransport;
}

export interface PeerDirectory {
  self(): string;
  get(name: string): PeerConfig | null;
  /** All peers except self, in registry order. */
  list(): PeerConfig[];
  /** Members of a group minus self, in listed order; null when the group does not exist. */
  group(name: string): string[] | null;
}
