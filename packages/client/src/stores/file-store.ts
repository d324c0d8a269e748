/**
 * Drafts as files, for Node: one JSON file per draft in one folder. A write goes to a temporary
 * file, is fsynced, renamed over the draft's file and the folder fsynced: after a crash or a
 * power cut the draft's file is the old version or the new one, never a torn mix. A temporary
 * file left by a crash is ignored (and removed once old).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptDraftError, parseStoredDraft, type DraftStore, type StoredDraft } from '../drafts.js';

const SUFFIX = '.json';
const TEMP_MARK = '.tmp-';
/** A temporary file this old belongs to no write in progress: a crash left it. */
const STALE_TEMP_MS = 60 * 60_000;

export class FileDraftStore implements DraftStore {
  private ready: Promise<void> | undefined;

  constructor(readonly dir: string) {}

  /** The file of a draft: its id, made safe for a file name. */
  fileOf(draftId: string): string {
    return join(this.dir, `${encodeURIComponent(draftId).replace(/\./g, '%2E')}${SUFFIX}`);
  }

  private prepare(): Promise<void> {
    this.ready ??= mkdir(this.dir, { recursive: true }).then(() => undefined);
    return this.ready;
  }

  async put(draft: StoredDraft): Promise<void> {
    await this.prepare();
    const text = JSON.stringify(parseStoredDraft(draft, draft.draftId));
    const target = this.fileOf(draft.draftId);
    const temp = `${target}${TEMP_MARK}${randomBytes(6).toString('hex')}`;
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    await this.syncDir();
  }

  async get(draftId: string): Promise<StoredDraft | undefined> {
    const file = this.fileOf(draftId);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return parseStoredDraft(parseJson(text, file), file);
  }

  async list(): Promise<StoredDraft[]> {
    await this.prepare();
    const drafts: StoredDraft[] = [];
    for (const name of await readdir(this.dir)) {
      const file = join(this.dir, name);
      if (name.includes(TEMP_MARK)) {
        await this.removeIfStale(file);
        continue;
      }
      if (!name.endsWith(SUFFIX)) continue;
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // deleted meanwhile
        throw error;
      }
      drafts.push(parseStoredDraft(parseJson(text, file), file));
    }
    return drafts;
  }

  async delete(draftId: string): Promise<void> {
    await unlink(this.fileOf(draftId)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    await this.syncDir();
  }

  /** Makes the rename or unlink itself durable (the folder's entry), not only the file's bytes. */
  private async syncDir(): Promise<void> {
    const handle = await open(this.dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  private async removeIfStale(file: string): Promise<void> {
    try {
      if (Date.now() - (await stat(file)).mtimeMs > STALE_TEMP_MS) await rm(file, { force: true });
    } catch {
      // Renamed or removed meanwhile: nothing to do.
    }
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // Never the half-written file of a put (that is a temporary file): something else damaged it.
    throw new CorruptDraftError(file, (error as Error).message);
  }
}
