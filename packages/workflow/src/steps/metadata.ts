/**
 * Step 1, metadata: the submission's change to the record in MongoDB, in one single-document
 * atomic write. A create inserts the record under the id derived from its draftId (a second
 * insert is a duplicate key, not a second record); a correction updates the record with a
 * compare-and-set on its version, so no concurrent change is lost.
 */
import {
  newTrackingId,
  recordEvent,
  recordIdFor,
  recordKeyFor,
  recordStateOf,
  type ActionState,
  type ActorCopy,
  type DirectoryEntry,
  type HistoryEntry,
  type RecordDocument,
  type RecordJobData,
  type StoredAttachment,
} from '@steadfast/commons';
import type { StepContext, WorkflowDeps } from '../context.js';
import { EarlierWorkPending, Rejection } from '../errors.js';
import { actorChange, copiedActor, followDirectory, followEntry } from '@steadfast/records';
import { initialStatus, toCorrected, toCorrectionRequested } from '../records/state.js';
import { changeRecord } from '@steadfast/records';
import { ensureEarlierWorkFinished } from './ordering.js';

export function storedAttachments(data: RecordJobData, recordId: string): StoredAttachment[] {
  return data.attachments.map((a) => ({
    key: recordKeyFor(recordId, data, a),
    draftId: data.draftId,
    index: a.index,
    type: a.type,
    subject: a.subject,
    contentType: a.contentType,
    size: a.size,
    sha256: a.sha256,
  }));
}

function actionState(data: RecordJobData, now: Date): ActionState {
  return {
    operation: data.operation,
    action: data.action,
    fingerprint: data.fingerprint,
    userId: data.userId,
    acceptedAt: new Date(data.acceptedAt),
    appliedAt: now,
    steps: { metadata: now },
  };
}

/** The record this job already changed, after checking the job carries the same payload. */
function alreadyApplied(record: RecordDocument, data: RecordJobData): RecordDocument | undefined {
  const applied = record.actions[data.draftId];
  if (!applied) return undefined;
  if (applied.fingerprint !== data.fingerprint) {
    throw new Rejection('IDEMPOTENCY_KEY_REUSED', `draftId ${data.draftId} was already used for a different submission`);
  }
  return record;
}

export async function createRecord(deps: WorkflowDeps, data: RecordJobData): Promise<RecordDocument> {
  if (!data.event) throw new Rejection('EVENT_MISSING', 'a new record must say which event it registers');
  const recordId = recordIdFor(data.draftId);
  // Inserted straight away: a repeat (a retry, a second delivery) meets the duplicate key and
  // reads what is there, so the first run does not pay a read to find nothing.
  // The copy as last read (the read after the insert below corrects it), or read now.
  const actor = actorCopyOf(deps.directoryCopies.get(data.userId) ?? (await deps.batches.directory.add(data.userId)));
  const now = new Date();
  const status = initialStatus(data.action);
  const record: RecordDocument = {
    _id: recordId,
    draftId: data.draftId,
    trackingId: newTrackingId(data.event),
    event: data.event,
    status,
    data: data.details,
    attachments: storedAttachments(data, recordId),
    hasPotentialDuplicates: false,
    version: 1,
    createdBy: data.userId,
    createdAt: now,
    updatedAt: now,
    actions: { [data.draftId]: actionState(data, now) },
    history: [{ draftId: data.draftId, action: data.action, userId: data.userId, at: now, status }],
    actors: { [data.userId]: actor },
  };
  // The record and its first event, in one insert.
  record.outbox = [
    recordEvent({ recordId, sequence: 1, type: 'record.created', changes: recordStateOf(record), at: now, correlationId: data.correlationId }),
  ];
  record.outboxPending = true;
  // With the other jobs' new records, in one unordered insert.
  if ((await deps.batches.insertRecord.add(record)) === 'inserted') {
    // The relay's hint is left at the end of the job, with the draft's release (settle), and a
    // rename since the copy was read is followed there too (followCreatorRename).
    return record;
  }
  const winner = await deps.db.records.findOne({ _id: recordId });
  // Not our id: the random tracking id collided; the retry draws another.
  if (!winner) throw new Error('tracking id collision; retrying with a new one');
  return alreadyApplied(winner, data) ?? winner;
}

/**
 * A rename of a new record's creator since the copy on it was read: follow it (see
 * followDirectory; a rename's consumer updates the directory before it looks for records, so
 * either it finds this record or this read finds the new entry). Any time after the insert will
 * do, so it is read in the job's last step: there the jobs of a batch have met again (they left
 * the search step's refresh together) and their reads go out as one query, where right after
 * the insert each job read alone. A retry that reaches the last step reads again.
 */
export async function followCreatorRename(ctx: StepContext): Promise<void> {
  const { deps, data, record } = ctx;
  if (data.operation !== 'create') return;
  const entry = await deps.batches.directory.add(data.userId);
  deps.directoryCopies.remember(entry);
  await followEntry(deps.db, deps.redis, record._id, { sequence: record.actors?.[data.userId]?.sequence ?? 0 }, entry, deps.logger);
}

/** The copy of a user a new record carries (as `actorCopyFor`, from an entry read in a batch). */
const actorCopyOf = (entry: DirectoryEntry | undefined): ActorCopy =>
  entry ? { name: entry.name, office: entry.office, sequence: entry.version } : { sequence: 0 };

export async function applyCorrection(deps: WorkflowDeps, data: RecordJobData): Promise<RecordDocument> {
  const recordId = data.recordId;
  if (!recordId) throw new Rejection('RECORD_ID_MISSING', 'a correction must name the record it corrects');
  return changeRecord<RecordDocument>(
    deps,
    recordId,
    async (record) => {
      const applied = alreadyApplied(record, data);
      if (applied) return { done: applied };
      if (data.operation === 'correct' && record.event !== data.event) {
        throw new Rejection('EVENT_MISMATCH', `record ${recordId} is a ${record.event} record, not a ${data.event} record`);
      }
      await ensureEarlierWorkFinished(deps, record, data);

      const now = new Date();
      const status = data.operation === 'correct' ? toCorrected(record.status) : toCorrectionRequested(record.status);
      const entry: HistoryEntry = { draftId: data.draftId, action: data.action, userId: data.userId, at: now, status };
      if (data.operation === 'request-correction') entry.correction = data.details;
      const actor = await actorChange(deps.db, record, data.userId);
      return {
        update: {
          $set: {
            status,
            updatedAt: now,
            [`actions.${data.draftId}`]: actionState(data, now),
            ...(data.operation === 'correct' ? { data: data.details } : {}),
            ...actor?.set,
          },
          $push: { history: entry, attachments: { $each: storedAttachments(data, recordId) } },
        },
        event: {
          type: data.operation === 'correct' ? 'record.corrected' : 'record.correction-requested',
          changes: {
            status,
            updatedAt: now.toISOString(),
            ...(data.operation === 'correct' ? { data: data.details } : {}),
            ...(actor ? { actors: actor.actors } : {}),
          },
          at: now,
          correlationId: data.correlationId,
        },
        after: async () => {
          if (actor) await followDirectory(deps.db, deps.redis, recordId, copiedActor(actor, data.userId), deps.logger);
          const updated = await deps.db.records.findOne({ _id: recordId });
          if (!updated) throw new Rejection('RECORD_NOT_FOUND', `there is no record ${recordId}`);
          return updated;
        },
      };
    },
    {
      missing: () => {
        throw new Rejection('RECORD_NOT_FOUND', `there is no record ${recordId}`);
      },
      exhausted: () => {
        throw new EarlierWorkPending(`record ${recordId} kept changing under this correction; retrying`);
      },
    },
  );
}
