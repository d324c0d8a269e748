/** The behaviour every DraftStore owes the client, run against each store by its own test file. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DraftStore, StoredDraft } from '../drafts.js';

export function sampleDraft(draftId: string, overrides: Partial<StoredDraft> = {}): StoredDraft {
  return {
    draftId,
    mutation: 'createBirthRegistration',
    state: 'pending',
    payload: { details: { registration: { draftId }, attachments: [{ type: 'BIRTH_NOTIFICATION', data: 'iVBORw0KGgo=' }] } },
    attempts: 0,
    createdAt: '2026-12-01T00:00:00.000Z',
    updatedAt: '2026-12-01T00:00:00.000Z',
    ...overrides,
  };
}

export function draftStoreContract(makeStore: () => Promise<DraftStore>): void {
  test('a put draft reads back equal, by get and by list', async () => {
    const store = await makeStore();
    const draft = sampleDraft('6f1c2a9e-0d7b-4c3e-9a51-2b8d7e4f1a03');
    await store.put(draft);
    assert.deepEqual(await store.get(draft.draftId), draft);
    assert.deepEqual(await store.list(), [draft]);
    assert.equal(await store.get('not-there'), undefined);
  });

  test('a put replaces the whole draft: the purged payload is gone, the outcome is there', async () => {
    const store = await makeStore();
    const draft = sampleDraft('a3');
    await store.put(draft);
    const { payload: _gone, ...rest } = draft;
    void _gone;
    const processed: StoredDraft = { ...rest, state: 'processed', recordId: 'r', trackingId: 'B000000001', registrationStatus: 'DECLARED' };
    await store.put(processed);
    const read = await store.get('a3');
    assert.deepEqual(read, processed);
    assert.equal(read && 'payload' in read, false);
  });

  test('what a caller does to a draft after put or get does not change the stored one', async () => {
    const store = await makeStore();
    const draft = sampleDraft('b4');
    await store.put(draft);
    draft.state = 'conflict';
    const read = (await store.get('b4'))!;
    assert.equal(read.state, 'pending');
    read.attempts = 99;
    assert.equal((await store.get('b4'))!.attempts, 0);
  });

  test('many drafts, written at once, all listed; delete removes one', async () => {
    const store = await makeStore();
    const ids = Array.from({ length: 50 }, (_, i) => `draft-${i}`);
    await Promise.all(ids.map((id) => store.put(sampleDraft(id))));
    assert.deepEqual((await store.list()).map((d) => d.draftId).sort(), [...ids].sort());
    await store.delete('draft-7');
    await store.delete('draft-7');
    assert.equal(await store.get('draft-7'), undefined);
    assert.equal((await store.list()).length, 49);
  });

  test('a draft that is not one is refused before it is stored', async () => {
    const store = await makeStore();
    await assert.rejects(store.put({ ...sampleDraft('c5'), state: 'lost' } as unknown as StoredDraft), /state/);
    assert.equal(await store.get('c5'), undefined);
  });
}
