/**
 * Drafts in the browser's IndexedDB (through `idb`), one object per draft keyed by draftId:
 * each put is one transaction, all of it or none, and survives a reload or a closed tab.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { parseStoredDraft, type DraftStore, type StoredDraft } from '../drafts.js';

interface DraftsSchema extends DBSchema {
  drafts: { key: string; value: StoredDraft };
}

const VERSION = 1;

export class IndexedDbDraftStore implements DraftStore {
  private db: Promise<IDBPDatabase<DraftsSchema>> | undefined;

  /** `name` is the IndexedDB database of this store. */
  constructor(private readonly name: string = 'steadfast-drafts') {}

  private open(): Promise<IDBPDatabase<DraftsSchema>> {
    if (!this.db) {
      this.db = openDB<DraftsSchema>(this.name, VERSION, {
        upgrade(db) {
          if (!db.objectStoreNames.contains('drafts')) db.createObjectStore('drafts', { keyPath: 'draftId' });
        },
      });
      // A failed open (storage refused, private mode) is tried again on the next call.
      this.db.catch(() => {
        this.db = undefined;
      });
    }
    return this.db;
  }

  async put(draft: StoredDraft): Promise<void> {
    await (await this.open()).put('drafts', parseStoredDraft(draft, draft.draftId));
  }

  async get(draftId: string): Promise<StoredDraft | undefined> {
    const value = await (await this.open()).get('drafts', draftId);
    return value === undefined ? undefined : parseStoredDraft(value, `${this.name}/${draftId}`);
  }

  async list(): Promise<StoredDraft[]> {
    const values = await (await this.open()).getAll('drafts');
    return values.map((value) => parseStoredDraft(value, `${this.name}/${(value as { draftId?: unknown }).draftId as string}`));
  }

  async delete(draftId: string): Promise<void> {
    await (await this.open()).delete('drafts', draftId);
  }

  /** Closes the database (e.g. before deleting it). */
  async close(): Promise<void> {
    const db = await this.db;
    db?.close();
    this.db = undefined;
  }
}
