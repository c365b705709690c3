/**
 * How MESH addresses NATS peers and names its subjects, streams and consumers (docs/nats.md).
 *
 * A peer reached over NATS has the base URL `nats:<agent>` (ports/peers.ts `baseUrl`), so the
 * delivery service builds `nats:<agent>/hooks/<sender>` exactly as it builds an HTTP hook URL, and
 * the composition root's dispatching transport sends every `nats:` URL to the NATS transport. The
 * URL names the agent only: servers, credentials and the fleet come from this node's config.
 *
 * Subjects of a fleet `f` (one JetStream domain/account may hold several fleets):
 *   mesh.f.<agent>.inbox           envelopes to <agent>        stream MESH_f_INBOX (work queue, file)
 *   mesh.f.<sender>.receipt.<id>   the receiver's receipt      stream MESH_f_RECEIPTS (limits, file,
 *                                  for message <id>                   one message per subject)
 *   mesh.f.<agent>.health          core request/reply: the node's health answer (no storage)
 * Agent names ([A-Za-z_][A-Za-z0-9_-]*) and message ids (msg_<uuid>) are valid subject tokens, and
 * are checked before they are used in a subject: a name from the wire never adds a token or a wildcard.
 * No library import here: the registry reads this on every `mesh send`.
 */
import { MESSAGE_ID_RE } from '../../protocol/ids.ts';
import { isValidAgentName } from '../../protocol/names.ts';

export const NATS_URL_SCHEME = 'nats:';
/** A fleet name: one subject token and part of stream names. */
export const NATS_FLEET_RE = /^[A-Za-z0-9_-]{1,32}$/;
export const DEFAULT_NATS_FLEET = 'mesh';

/** The base URL of a peer reached over NATS. */
export function natsPeerUrl(agent: string): string {
  return `${NATS_URL_SCHEME}${agent}`;
}

/** True for a URL the NATS transport handles (a `nats:` base URL or hook URL). */
export function isNatsUrl(url: string): boolean {
  return url.startsWith(NATS_URL_SCHEME);
}

/** The agent a `nats:<agent>[/…]` URL names, or null when it names none (or an invalid one). */
export function natsTargetOf(url: string): string | null {
  if (!isNatsUrl(url)) return null;
  const agent = url.slice(NATS_URL_SCHEME.length).split('/')[0] ?? '';
  return isValidAgentName(agent) ? agent : null;
}

export interface NatsNames {
  fleet: string;
  inboxStream: string;
  receiptStream: string;
  /** Subjects the inbox stream stores (every agent of the fleet). */
  inboxSubjects: string;
  receiptSubjects: string;
  inbox(agent: string): string;
  receipt(sender: string, id: string): string;
  /** Every receipt addressed to `sender` (its one subscription). */
  receiptsOf(sender: string): string;
  health(agent: string): string;
  /** The durable consumer of `agent`'s inbox. */
  durable(agent: string): string;
}

function token(kind: 'agent' | 'id', v: string): string {
  const ok = kind === 'agent' ? isValidAgentName(v) : MESSAGE_ID_RE.test(v);
  if (!ok) throw new Error(`not a valid ${kind} for a NATS subject`);
  return v;
}

export function natsNames(fleet: string): NatsNames {
  if (!NATS_FLEET_RE.test(fleet)) throw new Error('invalid NATS fleet name');
  const p = `mesh.${fleet}`;
  return {
    fleet,
    inboxStream: `MESH_${fleet}_INBOX`,
    receiptStream: `MESH_${fleet}_RECEIPTS`,
    inboxSubjects: `${p}.*.inbox`,
    receiptSubjects: `${p}.*.receipt.*`,
    inbox: (agent) => `${p}.${token('agent', agent)}.inbox`,
    receipt: (sender, id) => `${p}.${token('agent', sender)}.receipt.${token('id', id)}`,
    receiptsOf: (sender) => `${p}.${token('agent', sender)}.receipt.*`,
    health: (agent) => `${p}.${token('agent', agent)}.health`,
    durable: (agent) => `mesh-${token('agent', agent)}`,
  };
}
