/**
 * `fetchRecordStatus`: a decided draft is answered from MongoDB (kept as long as the record), by
 * way of its completed job's result while Redis keeps that; one still in flight from its job in
 * Redis, with the step it is at read from the record's remembered steps. A request the long-poll
 * held while the job ran is answered from the record as the job left it (its result's `record`),
 * without reading MongoDB: the answer is as fresh as at the moment the job ended. It never answers
 * "unknown" when it could not look. A viewer who may not see the draft (visibility.ts) gets
 * RecordUnknown, as for a draft never received.
 */
import {
  processedView,
  recordIdFor,
  RecordJobProgress,
  STEPS,
  type Collections,
  type Logger,
  type ProcessedRecordView,
  type RecordJob,
  type RecordJobResult,
  type RecordQueue,
  type RegistrationStatus,
} from '@steadfast/commons';
import { unavailable } from './errors.js';
import { canSeeDraft, type Viewer } from './visibility.js';

export type RecordStatus =
  | { __typename: 'RecordProcessing'; draftId: string; attempts: number; step: string; lastError: string | null }
  | {
      __typename: 'RecordProcessed';
      draftId: string;
      recordId: string;
      trackingId: string;
      hasPotentialDuplicates: boolean;
      registrationStatus: RegistrationStatus;
      registrationNumber: string | null;
    }
  | { __typename: 'RecordRejected'; draftId: string; reason: string; code: string | null }
  | { __typename: 'RecordUnknown'; draftId: string };

const processedStatus = (draftId: string, recordId: string, view: ProcessedRecordView): RecordStatus => ({
  __typename: 'RecordProcessed',
  draftId,
  recordId,
  trackingId: view.trackingId,
  hasPotentialDuplicates: view.hasPotentialDuplicates,
  registrationStatus: view.registrationStatus,
  registrationNumber: view.registrationNumber,
});

/** A decided draft's status and who submitted it (undefined when that cannot be known). */
interface Decided {
  status: RecordStatus;
  submitter: string | undefined;
}

export class StatusReader {
  constructor(
    readonly db: Collections,
    private readonly queue: RecordQueue,
    private readonly logger: Logger,
  ) {}

  /**
   * `admitted`: the caller's rate count, issued just before on the same Redis connection. The
   * job's read goes out beside it (one round trip for both, ioredis' auto-pipelining); nothing
   * else is read before the count lets the request through, and a refusal is thrown as it is.
   */
  async status(draftId: string, viewer: Viewer, admitted?: Promise<unknown>): Promise<RecordStatus> {
    return (await this.read(draftId, viewer, false, admitted))!;
  }

  /**
   * The status unless the draft's job is in flight (waiting, running or waiting to retry):
   * undefined then, read from Redis alone. A long-poll holds such a request, and answers it
   * with a full read once the job moves on.
   */
  async unlessInFlight(draftId: string, viewer: Viewer, admitted?: Promise<unknown>): Promise<RecordStatus | undefined> {
    return this.read(draftId, viewer, true, admitted);
  }

  /**
   * The status of a draft whose job this viewer saw in flight (so may see it; `unlessInFlight`)
   * and that has since completed with `result`, as its completed event says: a processed draft is
   * answered from its record alone, without reading the job again. Anything else (rejected, the
   * record not found, MongoDB failing) is read in full.
   */
  async completed(draftId: string, result: RecordJobResult, viewer: Viewer): Promise<RecordStatus> {
    // The record as the job left it a moment ago: no read of MongoDB (see ProcessedRecordView).
    // Unless the country's answer is awaited: that may have come while the job finished, and
    // the client is told the status MongoDB has.
    if (result.outcome === 'processed' && result.record && result.record.registrationStatus !== 'WAITING_EXTERNAL_VALIDATION') {
      return processedStatus(draftId, result.recordId, result.record);
    }
    if (result.outcome === 'processed') {
      try {
        const decided = await this.processed(draftId, result.recordId);
        if (decided) return decided.status;
      } catch (error) {
        this.logger.warn({ draftId, err: (error as Error).message }, 'status: MongoDB unreachable');
      }
    }
    return this.status(draftId, viewer);
  }

  private async read(draftId: string, viewer: Viewer, skipInFlight: boolean, admitted?: Promise<unknown>): Promise<RecordStatus | undefined> {
    const unknown: RecordStatus = { __typename: 'RecordUnknown', draftId };
    let job: RecordJob | undefined;
    let redisDown = false;
    const jobRead = this.queue.getJob(draftId);
    if (admitted) {
      jobRead.catch(() => undefined);
      await admitted;
    }
    try {
      job = await jobRead;
    } catch (error) {
      redisDown = true;
      this.logger.warn({ draftId, err: (error as Error).message }, 'status: Redis unreachable');
    }
    // The job names its submitter: someone else learns nothing, not even whether it is in flight.
    if (job && !canSeeDraft(viewer, job.data.userId)) return unknown;
    if (skipInFlight && job && !job.finishedOn) return undefined;

    let mongoDown = false;
    try {
      const decided = await this.decidedStatus(draftId, job);
      if (decided) return job || canSeeDraft(viewer, decided.submitter) ? decided.status : unknown;
    } catch (error) {
      mongoDown = true;
      this.logger.warn({ draftId, err: (error as Error).message }, 'status: MongoDB unreachable');
    }

    if (redisDown) throw unavailable('the status of submissions in flight (Redis)');
    if (job) {
      return {
        __typename: 'RecordProcessing',
        draftId,
        attempts: job.attemptsMade,
        step: mongoDown ? 'unknown' : await this.currentStep(job),
        lastError: job.failedReason || null,
      };
    }
    if (mongoDown) throw unavailable('the status of processed submissions (MongoDB)');
    return unknown;
  }

  /**
   * The answer for a decided draft, undefined for one not decided. A completed job is kept a
   * while with its result, which names the record: no need to ask MongoDB for the draft then.
   * A job in flight has not been decided (but for a crash between deciding and completing,
   * which the job's next run settles at once).
   */
  private async decidedStatus(draftId: string, job: RecordJob | undefined): Promise<Decided | undefined> {
    const result = job?.returnvalue as RecordJobResult | null | undefined;
    if (result?.outcome === 'processed') return this.processed(draftId, result.recordId);
    if (job && !job.finishedOn) return undefined;
    const decided = await this.db.drafts.findOne({ _id: draftId });
    if (decided?.status === 'rejected') {
      return {
        status: { __typename: 'RecordRejected', draftId, reason: decided.reason, code: decided.code },
        submitter: decided.userId,
      };
    }
    if (decided?.status === 'processed') return this.processed(draftId, decided.recordId);
    return undefined;
  }

  private async processed(draftId: string, recordId: string): Promise<Decided | undefined> {
    const record = await this.db.records.findOne(
      { _id: recordId },
      { projection: { trackingId: 1, hasPotentialDuplicates: 1, status: 1, registrationNumber: 1, [`actions.${draftId}.userId`]: 1 } },
    );
    if (!record) return undefined;
    return {
      submitter: record.actions?.[draftId]?.userId,
      status: processedStatus(draftId, record._id, processedView(record)),
    };
  }

  /**
   * The first step the record does not yet remember as done for this draft, or, when the last
   * attempt failed further on (the record remembers steps only at checkpoints), the step it
   * failed at.
   */
  private async currentStep(job: RecordJob): Promise<string> {
    const recordId = job.data.recordId ?? recordIdFor(job.data.draftId);
    const record = await this.db.records.findOne(
      { _id: recordId },
      { projection: { [`actions.${job.data.draftId}.steps`]: 1 } },
    );
    const done = record?.actions[job.data.draftId]?.steps ?? {};
    const remembered = STEPS.find((step) => done[step] === undefined) ?? 'finish';
    const progress = RecordJobProgress.safeParse(job.progress);
    if (job.failedReason && progress.success && STEPS.indexOf(progress.data.failedStep) > STEPS.indexOf(remembered)) {
      return progress.data.failedStep;
    }
    return remembered;
  }
}
