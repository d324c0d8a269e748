/**
 * The users' directory entries a new record copies, as this worker last read them. A new record
 * takes its creator's copy from here and the directory is read once, after the record's insert
 * (steps/metadata.ts): that read is what keeps the copy right (a newer entry is followed at
 * once), so the copy taken before the insert may be an earlier read's, and a record costs one
 * directory read instead of two. Kept for the most recent `max` users.
 */
import type { DirectoryEntry } from '@steadfast/commons';

export class DirectoryCopies {
  private readonly entries = new Map<string, DirectoryEntry>();

  constructor(private readonly max = 10_000) {}

  /** The entry last read for the user, if any. */
  get(userId: string): DirectoryEntry | undefined {
    return this.entries.get(userId);
  }

  /** Remembers an entry just read; never goes back to an older version. */
  remember(entry: DirectoryEntry | undefined): void {
    if (!entry) return;
    const held = this.entries.get(entry._id);
    if (held && held.version > entry.version) return;
    this.entries.delete(entry._id);
    this.entries.set(entry._id, entry);
    // Oldest first in a Map: the least recently read users go.
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }
}
