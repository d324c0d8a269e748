/** Drafts in memory, for tests and for callers that keep nothing across restarts. Copies in and out, like a real store. */
import { parseStoredDraft, type DraftStore, type StoredDraft } from '../drafts.js';

export class MemoryDraftStore implements DraftStore {
  private readonly drafts = new Map<string, StoredDraft>();

  // eslint-disable-next-line @typescript-eslint/require-await -- async so that a refused draft is a rejected promise, as in every store
  async put(draft: StoredDraft): Promise<void> {
    this.drafts.set(draft.draftId, structuredClone(parseStoredDraft(draft, draft.draftId)));
  }

  get(draftId: string): Promise<StoredDraft | undefined> {
    const draft = this.drafts.get(draftId);
    return Promise.resolve(draft && structuredClone(draft));
  }

  list(): Promise<StoredDraft[]> {
    return Promise.resolve([...this.drafts.values()].map((d) => structuredClone(d)));
  }

  delete(draftId: string): Promise<void> {
    this.drafts.delete(draftId);
    return Promise.resolve();
  }
}
