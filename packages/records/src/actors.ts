/**
 * The copies of users' names and offices on records. Auth's user directory owns them; the
 * records module keeps its own copy of the directory (`user-directory`, fed by user events) and
 * copies from it into `record.actors`, each copy tagged with the user version it holds. A copy
 * only moves forward (a compare-and-set on the record's version, with a `record.actors-updated`
 * event), so repeated or late user events change nothing, and nothing here writes to auth.
 */
import {
  type ActorCopy,
  type Collections,
  type DirectoryEntry,
  type Logger,
  type RecordDocument,
  type Redis,
} from '@steadfast/commons';
import { changeRecord } from './change.js';

export async function actorCopyFor(db: Collections, userId: string): Promise<ActorCopy> {
  const entry = await db.directory.findOne({ _id: userId });
  return entry ? { name: entry.name, office: entry.office, sequence: entry.version } : { sequence: 0 };
}

/**
 * What a change by `userId` adds to a record's actors: nothing when the user is already there,
 * else the update's `$set` and the new actors map for the event.
 */
export async function actorChange(
  db: Collections,
  record: RecordDocument,
  userId: string,
): Promise<{ set: Record<string, ActorCopy>; actors: Record<string, ActorCopy> } | undefined> {
  if (record.actors?.[userId]) return undefined;
  const copy = await actorCopyFor(db, userId);
  return { set: { [`actors.${userId}`]: copy }, actors: { ...(record.actors ?? {}), [userId]: copy } };
}

/** The copy an `actorChange` wrote, for `followDirectory`. */
export const copiedActor = (
  change: { actors: Record<string, ActorCopy> },
  userId: string,
): { userId: string; sequence: number } => ({ userId, sequence: change.actors[userId]?.sequence ?? 0 });

/** Brings one record's copy of a user up to `entry`; false when it was already there or absent. */
export async function refreshActorCopy(
  db: Collections,
  redis: Redis,
  recordId: string,
  entry: DirectoryEntry,
  logger?: Logger,
): Promise<boolean> {
  return changeRecord<boolean>(
    { db, redis, ...(logger ? { logger } : {}) },
    recordId,
    (record) => {
      const current = record.actors?.[entry._id];
      if (!current || current.sequence >= entry.version) return { done: false };
      // A user event that changed neither name nor office (a user disabled): the copy is
      // current, and rewriting every record of the user would change nothing they show.
      if (current.name === entry.name && current.office === entry.office) return { done: false };
      const copy: ActorCopy = { name: entry.name, office: entry.office, sequence: entry.version };
      return {
        update: { $set: { [`actors.${entry._id}`]: copy } },
        event: { type: 'record.actors-updated', changes: { actors: { ...record.actors, [entry._id]: copy } }, at: new Date() },
        after: () => true,
      };
    },
    {
      rounds: 10,
      projection: { actors: 1 },
      missing: () => false,
      exhausted: () => {
        throw new Error(`record ${recordId} kept changing while its copy of user ${entry._id} was updated; retrying`);
      },
    },
  );
}

/**
 * After a write that put a copy of `userId` on a record: if the directory moved on since the
 * copy was read, follow it. (A rename's consumer updates the directory before it looks for
 * records, so either it finds this record or this check finds the new entry.)
 */
export async function followDirectory(
  db: Collections,
  redis: Redis,
  recordId: string,
  copied: { userId: string; sequence: number },
  logger?: Logger,
): Promise<void> {
  await followEntry(db, redis, recordId, copied, await db.directory.findOne({ _id: copied.userId }), logger);
}

/** `followDirectory` with the entry already read (in a batch of look-ups, say). */
export async function followEntry(
  db: Collections,
  redis: Redis,
  recordId: string,
  copied: { sequence: number },
  entry: DirectoryEntry | null | undefined,
  logger?: Logger,
): Promise<void> {
  // Still the version copied (the usual case): nothing to follow, no need to read the record.
  if (entry && entry.version > copied.sequence) await refreshActorCopy(db, redis, recordId, entry, logger);
}

/** Every record that copies the user, brought up to `entry`; returns how many changed. */
export async function refreshAllCopies(db: Collections, redis: Redis, entry: DirectoryEntry, logger?: Logger): Promise<number> {
  const stale = db.records.find({ [`actors.${entry._id}.sequence`]: { $lt: entry.version } }, { projection: { _id: 1 } });
  let changed = 0;
  for await (const record of stale) {
    if (await refreshActorCopy(db, redis, record._id, entry, logger)) changed++;
  }
  return changed;
}
