/**
 * How the delivery service asks whether a message should go through a relay. The fleet service
 * implements it from its routing table and the peers' health (fleet/router.ts). Delivery asks only
 * when the peer's own circuit is not closed (it cannot be reached directly); the answer names the
 * relay to post to, or null to keep trying directly.
 */
export interface RoutedMessage {
  /** The envelope is signed: only peers that verify relayed envelopes may receive it through a relay. */
  signed: boolean;
}

export interface Router {
  relayFor(peer: string, message: RoutedMessage, now: number): string | null;
}
