/**
 * Schema version 7 (`outbox-due-index`): drops `outbox_due` (next_attempt_at, created_at over pending
 * rows). The worker claims due messages peer by peer through `outbox_peer_due`; only a claim across
 * all peers at once used `outbox_due`, and no command makes one. Every queued message paid for it
 * twice (an index entry written when queued, removed when delivered). A claim across all peers still
 * works, reading the pending rows in `outbox_peer_due` order and sorting them.
 */
export const migration0007OutboxDueIndex = `
DROP INDEX IF EXISTS outbox_due;
`;
