// fake-indexeddb implements the IndexedDB specification in Node (the browser test runs the real one in chromium).
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { IndexedDbDraftStore } from './indexeddb-store.js';
import { draftStoreContract, sampleDraft } from './store-contract.js';

describe('IndexedDbDraftStore', () => {
  draftStoreContract(() => Promise.resolve(new IndexedDbDraftStore(`test-${randomUUID()}`)));

  test('drafts survive closing and opening the database again (a page reload)', async () => {
    const name = `test-${randomUUID()}`;
    const first = new IndexedDbDraftStore(name);
    await first.put(sampleDraft('kept'));
    await first.close();
    assert.deepEqual(await new IndexedDbDraftStore(name).get('kept'), sampleDraft('kept'));
  });
});
