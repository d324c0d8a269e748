/**
 * The `record` queue's payloads. One job per submission; the job id is the submission's
 * draftId. A job carries who asked (the user id), what their scopes allow (the action, decided
 * by the gateway), and the validated details with attachments replaced by references to staged
 * objects: never a token, never attachment bytes. Every waiting job is held in Redis's memory,
 * so it carries nothing the workflow can derive or does not use. Fields an earlier release sent
 * (`scopes`, `stagingKey`) are dropped when parsed.
 */
import { z } from 'zod';
import { REGISTRATION_STATUSES, type RecordDocument } from '../storage/documents.js';
import { recordIdFor } from '../ids.js';

export const RECORD_QUEUE = 'record';

export const EVENTS = ['birth', 'death', 'marriage'] as const;
export const EventType = z.enum(EVENTS);
export type EventType = z.infer<typeof EventType>;

/** What a submission does to a record; also the BullMQ job name. */
export const Operation = z.enum(['create', 'request-correction', 'correct']);
export type Operation = z.infer<typeof Operation>;

/**
 * The action the user's scopes allow for this submission, decided by the gateway: a create
 * by a registrar registers, by a registration agent validates, otherwise declares.
 */
export const RecordAction = z.enum(['declare', 'validate', 'register', 'request-correction', 'correct']);
export type RecordAction = z.infer<typeof RecordAction>;

/**
 * An attachment staged by the gateway, to be moved under the record's prefix by the worker. Its
 * key in the staging bucket follows from the draft, index and digest (`stagingKeyFor`), so the
 * job does not carry it: every waiting job is held in Redis's memory. (A job queued by an
 * earlier release still carries `stagingKey`; parsing drops it, and it is the same key.)
 */
export const AttachmentRef = z.object({
  index: z.number().int().min(0),
  type: z.string().min(1),
  subject: z.string().min(1),
  contentType: z.string().min(1),
  size: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type AttachmentRef = z.infer<typeof AttachmentRef>;

/** Where the gateway stages a draft's attachment: `<draftId>/<index>-<sha256>`. */
export const stagingKeyFor = (draftId: string, a: { index: number; sha256: string }): string => `${draftId}/${a.index}-${a.sha256}`;

/**
 * Where a record keeps a draft's attachment in the attachments bucket, under the record's prefix.
 * A staged upload is copied to `<recordId>/<draftId>-<index>-<sha256 prefix>`. One the gateway
 * placed there itself (`placed`: a create) also names the payload's
 * fingerprint, `<recordId>/<draftId>-<fingerprint prefix>-<index>-<sha256 prefix>`: another
 * payload under the same draftId never writes, or removes, an object of the record's.
 */
export function recordKeyFor(
  recordId: string,
  data: Pick<RecordJobData, 'draftId' | 'fingerprint' | 'placed'>,
  a: { index: number; sha256: string },
): string {
  const payload = data.placed ? `${data.fingerprint.slice(0, 16)}-` : '';
  return `${recordId}/${data.draftId}-${payload}${a.index}-${a.sha256.slice(0, 16)}`;
}

const PLACED_KEY = /^([0-9a-fA-F-]{36})\/([0-9a-fA-F-]{36})-[0-9a-f]{16}-\d+-[0-9a-f]{16}$/;

/**
 * The draft whose create placed the object at `key`, or undefined for any other key. Until its
 * record is written such an object is listed nowhere, so whoever looks for orphans asks the
 * draft's job first (reconcile/object-drift.ts).
 */
export function placedDraftOf(key: string): string | undefined {
  const match = PLACED_KEY.exec(key);
  if (!match || recordIdFor(match[2]!) !== match[1]) return undefined;
  return match[2];
}

export const RecordJobData = z.object({
  draftId: z.guid(),
  operation: Operation,
  /** The kind of record; a correction request does not say (it applies to any record). */
  event: EventType.optional(),
  /** The record a correction applies to; absent for a create. */
  recordId: z.guid().optional(),
  action: RecordAction,
  userId: z.string().min(1),
  /** SHA-256 of the canonical validated input: the same draftId must always carry the same. */
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  correlationId: z.string().min(1),
  acceptedAt: z.iso.datetime(),
  /** The validated input without `attachments`. */
  details: z.record(z.string(), z.unknown()),
  attachments: z.array(AttachmentRef),
  /**
   * The gateway asked MongoDB just before queueing and the draft had no outcome: the job's first
   * start need not ask again (`mustLookUpDraft`). Absent when MongoDB could not be asked.
   */
  undecided: z.literal(true).optional(),
  /**
   * The gateway put the attachments at the record's keys (`recordKeyFor`) instead of staging
   * them: a create. Nothing is copied or unstaged for it; its objects are removed only when the
   * draft is rejected, or decided by another payload, and never while the record lists them.
   */
  placed: z.literal(true).optional(),
  /**
   * The gateway's HMAC over the uploads it checked (job-seal.ts, `JOB_SEAL_SECRET`): where it
   * holds, the workflow does not read the files' first bytes again.
   */
  seal: z.string().regex(/^[0-9a-f]{64}$/).optional(),
});
export type RecordJobData = z.infer<typeof RecordJobData>;

/**
 * Whether a worker must read the draft's outcome before processing its job. Not at the first
 * start of a job the gateway queued after finding no outcome: only this job decides the draft
 * (its id is the draftId, and the claim keeps any other from being queued while it lives). Any
 * later start (a retry, or a re-run after a worker died, perhaps after the outcome was written)
 * asks, as does a job queued while MongoDB could not be asked.
 */
export const mustLookUpDraft = (data: Pick<RecordJobData, 'undecided'>, attemptsStarted: number | undefined): boolean =>
  data.undecided !== true || attemptsStarted !== 1;

/**
 * The steps of the record workflow, in order. `validation` (asking the country config) runs for
 * registrations only and `notify` for new records only; elsewhere they are marked done at once.
 */
export const STEPS = ['metadata', 'attachments', 'search', 'duplicates', 'audit', 'validation', 'notify', 'cleanup', 'finish'] as const;
export type Step = (typeof STEPS)[number];

/**
 * A record job's progress (BullMQ's `job.progress`): the step its last failed attempt stopped
 * at. The record remembers steps only at checkpoints, so this is what names the step a client
 * sees failing between two of them.
 */
export const RecordJobProgress = z.object({ failedStep: z.enum(STEPS) });
export type RecordJobProgress = z.infer<typeof RecordJobProgress>;

/** What happened to a record outside a submission: the country's answer to a registration. */
export type OutcomeAction = 'confirm-registration' | 'reject-registration';

/**
 * What the record said when the job that processed it ended: the long-poll answers a status
 * request it held with this, as the job's completed event carries it, instead of reading the
 * record again (a find per submission, and FerretDB decodes the whole record for it). Absent
 * from a repeat's result (the job found the draft decided) and from an earlier release's.
 */
export const ProcessedRecordView = z.object({
  trackingId: z.string(),
  hasPotentialDuplicates: z.boolean(),
  registrationStatus: z.enum(REGISTRATION_STATUSES),
  registrationNumber: z.string().nullable(),
});
export type ProcessedRecordView = z.infer<typeof ProcessedRecordView>;

/** The view of a record as a status answer names it (the workflow's result, the gateway's read). */
export const processedView = (record: Pick<RecordDocument, 'trackingId' | 'hasPotentialDuplicates' | 'status' | 'registrationNumber'>): ProcessedRecordView => ({
  trackingId: record.trackingId,
  hasPotentialDuplicates: record.hasPotentialDuplicates,
  registrationStatus: record.status,
  registrationNumber: record.registrationNumber ?? null,
});

export type RecordJobResult =
  | { outcome: 'processed'; recordId: string; record?: ProcessedRecordView }
  | { outcome: 'rejected'; reason: string };
