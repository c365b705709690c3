/**
 * The relay-election announcement: an ordinary signed MESH notification whose `payload.metadata`
 * carries
 *
 *   {"meshElection": {"v": 1, "epoch": 7, "hub": "hub", "relay": "gamma", "electedBy": "alpha",
 *                     "at": "2026-01-01T00:00:00.000Z"}}
 *
 *   v          1 (this shape)
 *   epoch      positive integer; a node's epochs only grow (max epoch it ever saw + 1)
 *   hub        the hub the election is about (null when the fleet has none)
 *   relay      the elected relay, or null: "the hub is reachable again, send directly"
 *   electedBy  the agent that ran the election; must be the envelope's (authenticated) sender
 *   at         when it ran (wire timestamp), informational
 *
 * Receivers follow the highest (epoch, electedBy) they have verified: a higher epoch wins; at equal
 * epochs the announcement whose electedBy sorts FIRST wins, so every node picks the same one and two
 * relays are never followed at once. Parsing is strict: anything else under `meshElection` is
 * malformed, never half-read.
 */
import { getField, type JsonValue } from './json.ts';
import { isValidAgentName } from './names.ts';

export const ELECTION_METADATA_KEY = 'meshElection';
export const ELECTION_NOTICE_VERSION = 1;
export const ELECTION_SUBJECT = 'mesh-election';

export interface ElectionNotice {
  epoch: number;
  hub: string | null;
  relay: string | null;
  electedBy: string;
  /** Epoch ms (from the wire's ISO `at`). */
  at: number;
}

const nameOrNull = (v: JsonValue | undefined): string | null | undefined => {
  if (v === null) return null;
  return typeof v === 'string' && isValidAgentName(v) ? v : undefined;
};

/**
 * The notice in an envelope's metadata: null when there is none (an ordinary message), 'malformed'
 * when `meshElection` is present but is not a valid v1 notice.
 */
export function electionNoticeOf(metadata: JsonValue | undefined): ElectionNotice | null | 'malformed' {
  const raw = getField(metadata, ELECTION_METADATA_KEY);
  if (raw === undefined) return null;
  const epoch = getField(raw, 'epoch');
  const hub = nameOrNull(getField(raw, 'hub'));
  const relay = nameOrNull(getField(raw, 'relay'));
  const electedBy = getField(raw, 'electedBy');
  const atText = getField(raw, 'at');
  const at = typeof atText === 'string' && atText.length <= 40 ? Date.parse(atText) : Number.NaN;
  if (getField(raw, 'v') !== ELECTION_NOTICE_VERSION) return 'malformed';
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 1) return 'malformed';
  if (hub === undefined || relay === undefined || !Number.isFinite(at)) return 'malformed';
  if (typeof electedBy !== 'string' || !isValidAgentName(electedBy)) return 'malformed';
  return { epoch, hub, relay, electedBy, at };
}

/** The metadata object of an announcement, in the documented key order. */
export function electionMetadata(n: ElectionNotice): JsonValue {
  return {
    [ELECTION_METADATA_KEY]: {
      v: ELECTION_NOTICE_VERSION, epoch: n.epoch, hub: n.hub, relay: n.relay, electedBy: n.electedBy,
      at: new Date(n.at).toISOString(),
    },
  };
}

/** Human text of an announcement (the body), for people reading the inbox or the audit. */
export function electionText(n: ElectionNotice): string {
  return n.relay === null
    ? `MESH relay election, epoch ${n.epoch}: hub ${n.hub ?? '(none)'} is reachable, no relay (by ${n.electedBy})`
    : `MESH relay election, epoch ${n.epoch}: relay ${n.relay} while hub ${n.hub ?? '(none)'} is unreachable (by ${n.electedBy})`;
}

/**
 * Total order of elections: positive when `a` outranks `b`. Higher epoch first; at equal epochs the
 * electedBy name that sorts first (by code unit) wins, then relay null before a name, then the relay
 * name, so that the order is total and every node that saw the same set picks the same winner.
 */
export function compareElections(a: Pick<ElectionNotice, 'epoch' | 'electedBy' | 'relay'>, b: Pick<ElectionNotice, 'epoch' | 'electedBy' | 'relay'>): number {
  if (a.epoch !== b.epoch) return a.epoch - b.epoch;
  if (a.electedBy !== b.electedBy) return a.electedBy < b.electedBy ? 1 : -1;
  if (a.relay === b.relay) return 0;
  if (a.relay === null) return 1;
  if (b.relay === null) return -1;
  return a.relay < b.relay ? 1 : -1;
}
