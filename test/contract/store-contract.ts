/**
 * The behaviour every Store adapter must have (src/ports/store.ts), as one node:test suite.
 * Run it against an adapter with:
 *   describeStoreContract('sqlite', () => ({ store, cleanup }))
 * `makeStore` is called once per test and must return an empty store; `cleanup` closes it and
 * removes whatever it created.
 */
import { describe } from 'node:test';
import { a2aTaskContract } from './a2a-task-contract.ts';
import { conversationContract } from './conversation-contract.ts';
import { deadLetterContract } from './dead-letter-contract.ts';
import { inboxContract } from './inbox-contract.ts';
import { outboxContract } from './outbox-contract.ts';
import { sessionEventContract } from './session-event-contract.ts';
import { stateContract } from './state-contract.ts';
import type { MakeStore } from './store-fixtures.ts';
import { transactionContract } from './transaction-contract.ts';

export type { MakeStore } from './store-fixtures.ts';

export function describeStoreContract(name: string, makeStore: MakeStore): void {
  describe(`Store contract: ${name}`, () => {
    outboxContract(makeStore);
    deadLetterContract(makeStore);
    inboxContract(makeStore);
    stateContract(makeStore);
    conversationContract(makeStore);
    sessionEventContract(makeStore);
    transactionContract(makeStore);
    a2aTaskContract(makeStore);
  });
}
