import { describe } from 'node:test';
import { MemoryDraftStore } from './memory-store.js';
import { draftStoreContract } from './store-contract.js';

describe('MemoryDraftStore', () => draftStoreContract(() => Promise.resolve(new MemoryDraftStore())));
