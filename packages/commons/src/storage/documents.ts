/**
 * What Steadfast keeps in MongoDB (database `steadfast`), the single source of truth:
 * - `records`: one document per record, `_id` = recordId, `draftId` = the creating key;
 * - `drafts`: the outcome of every submission by draftId (processed or rejected), kept as long
 *   as the record: the idempotency keys that outlive the queue;
 * - `audit`: one entry per action per draftId.
 * The workflow writes them; the gateway reads them to answer `fetchRecordStatus`.
 */
import type { Collection, Db } from 'mongodb';
import type { Outboxed } from '../events/domain-event.js';
import type { EventType, Operation, OutcomeAction, RecordAction, Step } from '../queue/record-jobs.js';

export const REGISTRATION_STATUSES = [
  'DECLARED',
  'VALIDATED',
  'WAITING_EXTERNAL_VALIDATION',
  'REGISTERED',
  'REJECTED',
  'CORRECTION_REQUESTED',
  'CORRECTED',
] as const;
export type RegistrationStatus = (typeof REGISTRATION_STATUSES)[number];

export interface StoredAttachment {
  /** Object key in the attachments bucket, under the record's prefix. */
  key: string;
  draftId: string;
  index: number;
  type: string;
  subject: string;
  contentType: string;
  size: number;
  sha256: string;
}

/** One submission's work on a record, keyed by its draftId inside the record. */
export interface ActionState {
  operation: Operation;
  action: RecordAction;
  fingerprint: string;
  userId: string;
  acceptedAt: Date;
  appliedAt: Date;
  /** When each step finished: a retry skips the steps already here. */
  steps: Partial<Record<Step, Date>>;
}

export interface HistoryEntry {
  /** The submission's draftId; for an external outcome, the record's creating draftId. */
  draftId: string;
  action: RecordAction | OutcomeAction;
  userId: string;
  at: Date;
  status: RegistrationStatus;
  /** A correction request's reason, note and proposed changes. */
  correction?: Record<string, unknown>;
}

/**
 * A copy of the name and office of a user who acted on the record. Auth's user directory owns
 * them; the copy says which of the user's versions (event sequence) it holds, 0 when the user
 * was not known yet, and is only ever written by the copy-keeping code, never by hand.
 */
export interface ActorCopy {
  name?: string;
  office?: string;
  sequence: number;
}

export interface RecordDocument extends Outboxed {
  _id: string;
  draftId: string;
  trackingId: string;
  event: EventType;
  status: RegistrationStatus;
  registrationNumber?: string;
  /** The country config's answer to a registration, once it came: decided once, never changed. */
  externalValidation?: { outcome: 'confirmed' | 'rejected'; at: Date; userId: string; registrationNumber?: string; reason?: string };
  /** The validated details, attachments excluded. */
  data: Record<string, unknown>;
  attachments: StoredAttachment[];
  /**
   * True once a duplicate pair (`duplicatePairs`) names this record: set at most once in the
   * record's life, by the check that stores its first pair, so a later similar record never
   * rewrites it again. The candidates themselves are read from the pairs.
   */
  hasPotentialDuplicates: boolean;
  /**
   * Similar records this record's own duplicate check matched beyond the per-record cap
   * (`DUPLICATE_CANDIDATE_CAP`) and so did not pair with; absent when none.
   */
  duplicateOverflow?: number;
  /** Written by releases before the `duplicatePairs` collection; nothing reads it any more. */
  duplicates?: string[];
  /** Increases with every change; the search document is written with it as external version. */
  version: number;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  actions: Record<string, ActionState>;
  history: HistoryEntry[];
  /** By userId: who acted on the record (its history's users), with copies of their names. */
  actors?: Record<string, ActorCopy>;
}

/**
 * The part of a record other modules copy, as domain events carry it (dates as ISO strings):
 * a record event's data holds the fields of this that the change set.
 */
export interface RecordState {
  draftId: string;
  trackingId: string;
  event: EventType;
  status: RegistrationStatus;
  registrationNumber?: string;
  data: Record<string, unknown>;
  hasPotentialDuplicates: boolean;
  duplicateOverflow?: number;
  createdAt: string;
  updatedAt: string;
  actors: Record<string, ActorCopy>;
}

export function recordStateOf(record: RecordDocument): RecordState {
  return {
    draftId: record.draftId,
    trackingId: record.trackingId,
    event: record.event,
    status: record.status,
    ...(record.registrationNumber ? { registrationNumber: record.registrationNumber } : {}),
    data: record.data,
    hasPotentialDuplicates: record.hasPotentialDuplicates,
    ...(record.duplicateOverflow ? { duplicateOverflow: record.duplicateOverflow } : {}),
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
    actors: record.actors ?? {},
  };
}

/** One applied record event, kept by the audit-trail projection (`_id` = the event's id). */
export interface AuditTrailEntry {
  _id: string;
  recordId: string;
  sequence: number;
  type: string;
  source: string;
  /** The names of the record fields the change set. */
  changes: string[];
  correlationId?: string;
  occurredAt: Date;
  appliedAt: Date;
}

/**
 * Two records that may be duplicates of each other, stored once: `_id` is the pair's two record
 * ids sorted and joined (`pairIdOf`), so whichever record's check finds the other first writes
 * it and the other's (or a repeated step's) insert is a duplicate key. Never updated.
 */
export interface DuplicatePair {
  _id: string;
  /** The two record ids, sorted. */
  records: [string, string];
  event: EventType;
  /** The record whose check stored the pair. */
  foundBy: string;
  foundAt: Date;
  correlationId?: string;
}

/** The records module's copy of auth's user directory, kept from user events. */
export interface DirectoryEntry {
  _id: string;
  name: string;
  office: string;
  /** The user event sequence this copy holds. */
  version: number;
  /** Set when the user was disabled (both): the gateway refuses their tokens. */
  disabled?: true;
  disabledAt?: Date;
}

export type DraftOutcome =
  | { status: 'processed'; recordId: string }
  | { status: 'rejected'; reason: string; code: string; recordId?: string };

export type DraftDocument = {
  _id: string;
  operation: Operation;
  fingerprint: string;
  decidedAt: Date;
  /** Who submitted the draft: whom its status is shown to (besides validate/register/sysadmin). */
  userId?: string;
} & DraftOutcome;

export interface AuditEntry {
  /** `<draftId>:<action>`: a second write of the same entry is a duplicate-key no-op. */
  _id: string;
  draftId: string;
  action: RecordAction | OutcomeAction;
  recordId: string;
  userId: string;
  status: RegistrationStatus;
  correlationId: string;
  at: Date;
}

/**
 * An admin alert: a job that failed for good, or work that stopped moving. For a failure `_id` =
 * `<queue>:<jobId>:<failedAt ms>`, one per failure, so it is raised once however many workers
 * notice it (a stall's names its stuck head, below); each channel's delivery time is
 * kept, so a crash between raising and sending is caught up later. Alerts hold ids, counts and
 * the first line of the error: never a record's content.
 */
interface AlertBase {
  _id: string;
  queue: string;
  attempts: number;
  error: string;
  failedAt: Date;
  createdAt: Date;
  delivered: { sentry?: Date; webhook?: Date };
}

/** A record job that exhausted its attempts (or failed with an error not worth retrying). */
export interface JobExhaustedAlert extends AlertBase {
  kind: 'job-exhausted';
  draftId: string;
  step: string;
}

/** A domain event no projection could apply, left in its partition's failed set. */
export interface EventDeadLetteredAlert extends AlertBase {
  kind: 'event-dead-lettered';
  eventId: string;
  eventType: string;
  aggregate: string;
  aggregateId: string;
}

/**
 * A notification whose send was cut short (the process stopped between claiming it and hearing
 * back from the provider): it may or may not have reached the informant, and it is never sent
 * again on its own (at most once). An admin checks with the provider and resends by hand.
 */
export interface NotificationUnknownAlert extends AlertBase {
  kind: 'notification-unknown';
  notificationId: string;
  /** The job that held the claim (a batch of notifications); absent on alerts from before batches, whose job id was `notificationId`. */
  jobId?: string;
  recordId: string;
  notificationKind: string;
  channel: string;
}

/**
 * Work that stopped moving: a queue whose oldest waiting job nobody took (no worker, or every
 * worker stuck), or an outbox whose oldest hinted aggregate the relay did not relay, for longer
 * than the watch allows (the gateway's `PipelineWatch`). Nothing failed, so nothing else alerts:
 * the jobs wait, the clients see `RecordProcessing`. `_id` names the queue (or outbox) and its
 * stuck head, so every gateway that sees the same stall raises the same alert. `failedAt` is when
 * the head was first seen stuck; `resolvedAt`, set when it moves again.
 */
export interface QueueStalledAlert extends AlertBase {
  kind: 'queue-stalled';
  /** The oldest waiting job (a record job's id is its draftId). */
  oldestJobId: string;
  /** Jobs waiting when it was raised. */
  waiting: number;
  resolvedAt?: Date;
}

export interface OutboxStalledAlert extends AlertBase {
  kind: 'outbox-stalled';
  /** The oldest aggregate whose events wait for the relay. */
  aggregateId: string;
  /** Aggregates waiting when it was raised. */
  waiting: number;
  resolvedAt?: Date;
}

/**
 * A job that has been running for longer than the watch allows: the oldest job of a queue's
 * active list stayed the same. Its worker lives and keeps the lock (a frozen or dead one's lock
 * lapses and BullMQ takes the job back, if another worker runs), so nothing fails: a call that
 * never returns holds the job, and the record stays `RecordProcessing`. `_id` names the queue,
 * the job and when it started (`hung:<queue>:<jobId>:<processedOn>`): one alert per run.
 */
export interface JobHungAlert extends AlertBase {
  kind: 'job-hung';
  /** The job (a record job's id is its draftId). */
  jobId: string;
  /** When the worker took it (BullMQ's `processedOn`), when Redis still held it. */
  startedAt?: Date;
  /** The worker running it (BullMQ's `processedBy`: `<service>@<host>:<pid>`), when it was named. */
  worker?: string;
  /** Jobs of the queue running when it was raised. */
  running: number;
  resolvedAt?: Date;
}

export type AlertDocument = JobExhaustedAlert | EventDeadLetteredAlert | NotificationUnknownAlert | QueueStalledAlert | OutboxStalledAlert | JobHungAlert;

/** One line naming what failed, for logs, webhooks and Sentry. */
export function alertSummary(alert: AlertDocument): string {
  switch (alert.kind) {
    case 'job-exhausted':
      return `a ${alert.queue} job exhausted its attempts at the ${alert.step} step (draft ${alert.draftId}): ${alert.error}`;
    case 'event-dead-lettered':
      return `event ${alert.eventId} (${alert.eventType}) was dead-lettered in ${alert.queue} after ${alert.attempts} attempts: ${alert.error}`;
    case 'notification-unknown':
      return `the ${alert.notificationKind} ${alert.channel} notification of record ${alert.recordId} may not have been sent: ${alert.error}`;
    case 'queue-stalled':
      return `nothing taken from ${alert.queue} since ${alert.failedAt.toISOString()} (${alert.waiting} waiting, the oldest ${alert.oldestJobId}): ${alert.error}`;
    case 'outbox-stalled':
      return `nothing relayed from ${alert.queue} since ${alert.failedAt.toISOString()} (${alert.waiting} aggregates waiting, the oldest ${alert.aggregateId}): ${alert.error}`;
    case 'job-hung':
      return `job ${alert.jobId} of ${alert.queue} has run since ${(alert.startedAt ?? alert.failedAt).toISOString()} (${alert.running} running): ${alert.error}`;
  }
}

export interface Collections {
  records: Collection<RecordDocument>;
  drafts: Collection<DraftDocument>;
  audit: Collection<AuditEntry>;
  alerts: Collection<AlertDocument>;
  auditTrail: Collection<AuditTrailEntry>;
  directory: Collection<DirectoryEntry>;
  duplicatePairs: Collection<DuplicatePair>;
}

export const collections = (db: Db): Collections => ({
  records: db.collection<RecordDocument>('records'),
  drafts: db.collection<DraftDocument>('drafts'),
  audit: db.collection<AuditEntry>('audit'),
  alerts: db.collection<AlertDocument>('alerts'),
  auditTrail: db.collection<AuditTrailEntry>('audit-trail'),
  directory: db.collection<DirectoryEntry>('user-directory'),
  duplicatePairs: db.collection<DuplicatePair>('duplicatePairs'),
});

/** The indexes the guarantees rest on; idempotent, run by the workflow at start. */
export async function ensureIndexes(c: Collections): Promise<void> {
  await Promise.all([
    c.records.createIndex({ draftId: 1 }, { unique: true, name: 'draftId_unique' }),
    c.records.createIndex({ trackingId: 1 }, { unique: true, name: 'trackingId_unique' }),
    // One record per registration number; sparse: records not registered yet have none.
    c.records.createIndex({ registrationNumber: 1 }, { unique: true, sparse: true, name: 'registrationNumber_unique' }),
    c.audit.createIndex({ draftId: 1, action: 1 }, { unique: true, name: 'draftId_action_unique' }),
    c.audit.createIndex({ recordId: 1 }, { name: 'recordId' }),
    c.alerts.createIndex({ createdAt: -1 }, { name: 'createdAt' }),
    c.records.createIndex({ outboxPending: 1 }, { name: 'outboxPending' }),
    c.auditTrail.createIndex({ recordId: 1, sequence: 1 }, { unique: true, name: 'recordId_sequence_unique' }),
    // A record's candidates: either side of a pair (multikey).
    c.duplicatePairs.createIndex({ records: 1, foundAt: 1 }, { name: 'records_foundAt' }),
    // The gateway's read of the disabled users, every few seconds (edge/disabled-users.ts).
    c.directory.createIndex({ disabled: 1 }, { name: 'disabled' }),
  ]);
}

/** MongoDB's duplicate-key error (E11000), as FerretDB reports it too on insert. */
export const isDuplicateKey = (error: unknown): boolean =>
  (error as { code?: unknown }).code === 11000;
