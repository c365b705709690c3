import { createMemoryStore } from '../src/store/memory/memory-store.ts';
import { describeStoreContract } from './contract/store-contract.ts';

describeStoreContract('memory', () => {
  const store = createMemoryStore();
  return { store, cleanup: () => store.close() };
});
