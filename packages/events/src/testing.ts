/**
 * For tests and drills: record changes written the way the workflow writes them (the change and
 * its event in one compare-and-set write, then the relay's hint), without the rest of the
 * pipeline, so thousands of changes can be made in seconds.
 */
import {
  hintOutbox,
  recordEvent,
  recordStateOf,
  withEvent,
  type Collections,
  type RecordDocument,
  type RecordEventType,
  type RecordState,
  type Redis,
} from '@steadfast/commons';

export function newRecord(id: string, userId: string, seed: number): RecordDocument {
  const now = new Date();
  const record: RecordDocument = {
    _id: id,
    draftId: `draft-${id}`,
    trackingId: `T${id}`,
    event: 'birth',
    status: 'DECLARED',
    data: {
      child: { firstNames: `Child${seed}`, familyName: `Family${seed % 97}`, birthDate: '2026-11-01' },
      mother: { firstNames: `Mother${seed}`, familyName: `Family${seed % 97}` },
      eventDate: '2026-11-01',
      eventLocation: { country: 'ZMB', district: `District${seed % 7}` },
    },
    attachments: [],
    hasPotentialDuplicates: false,
    duplicates: [],
    version: 1,
    createdBy: userId,
    createdAt: now,
    updatedAt: now,
    actions: {},
    history: [],
    actors: { [userId]: { name: `User ${userId}`, office: 'Test Office', sequence: 1 } },
  };
  record.outbox = [recordEvent({ recordId: id, sequence: 1, type: 'record.created', changes: recordStateOf(record), at: now })];
  record.outboxPending = true;
  return record;
}

export async function insertRecord(db: Collections, redis: Redis, record: RecordDocument, { hint = true } = {}): Promise<void> {
  await db.records.insertOne(record);
  if (hint) await hintOutbox(redis, db.records, record._id);
}

/** One change: `mutate` returns the fields it sets; a compare-and-set, retried on a race. */
export async function changeRecord(
  db: Collections,
  redis: Redis,
  id: string,
  type: RecordEventType,
  mutate: (record: RecordDocument) => Partial<RecordState>,
  { hint = true } = {},
): Promise<number> {
  for (;;) {
    const record = await db.records.findOne({ _id: id });
    if (!record) throw new Error(`no record ${id}`);
    const now = new Date();
    const changes = { ...mutate(record), updatedAt: now.toISOString() };
    const set: Record<string, unknown> = { ...changes, updatedAt: now };
    const event = recordEvent({ recordId: id, sequence: record.version + 1, type, changes, at: now });
    const result = await db.records.updateOne({ _id: id, version: record.version }, withEvent<RecordDocument>({ $set: set, $inc: { version: 1 } }, event));
    if (result.matchedCount === 1) {
      if (hint) await hintOutbox(redis, db.records, id);
      return record.version + 1;
    }
  }
}

/** A correction of the child's first names: a change every projection sees. */
export const renameChild = (db: Collections, redis: Redis, id: string, firstNames: string, options?: { hint?: boolean }) =>
  changeRecord(
    db,
    redis,
    id,
    'record.corrected',
    (r) => ({
      status: 'CORRECTED',
      data: { ...r.data, child: { ...(r.data['child'] as object), firstNames } },
    }),
    options,
  );
