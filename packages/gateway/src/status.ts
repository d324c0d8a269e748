/**
 * `fetchRecordStatus`: a decided draft is answered from MongoDB (kept as long as the record);
 * one still in flight from its job in Redis, with the step it is at read from the record's
 * remembered steps. It never answers "unknown" when it could not look.
 */
import {
  recordIdFor,
  RecordJobProgress,
  STEPS,
  type Collections,
  type Logger,
  type RecordJob,
  type RecordQueue,
  type RegistrationStatus,
} from '@steadfast/commons';
import { unavailable } from './errors.js';

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

export class StatusReader {
  constructor(
    private readonly db: Collections,
    private readonly queue: RecordQueue,
    private readonly logger: Logger,
  ) {}

  async status(draftId: string): Promise<RecordStatus> {
    let mongoDown = false;
    try {
      const decided = await this.db.drafts.findOne({ _id: draftId });
      if (decided?.status === 'rejected') {
        return { __typename: 'RecordRejected', draftId, reason: decided.reason, code: decided.code };
      }
      if (decided?.status === 'processed') {
        const record = await this.db.records.findOne({ _id: decided.recordId });
        if (record) {
          return {
            __typename: 'RecordProcessed',
            draftId,
            recordId: record._id,
            trackingId: record.trackingId,
            hasPotentialDuplicates: record.hasPotentialDuplicates,
            registrationStatus: record.status,
            registrationNumber: record.registrationNumber ?? null,
          };
        }
      }
    } catch (error) {
      mongoDown = true;
      this.logger.warn({ draftId, err: (error as Error).message }, 'status: MongoDB unreachable');
    }

    let job: RecordJob | undefined;
    try {
      job = await this.queue.getJob(draftId);
    } catch (error) {
      this.logger.warn({ draftId, err: (error as Error).message }, 'status: Redis unreachable');
      throw unavailable('the status of submissions in flight (Redis)');
    }
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
    return { __typename: 'RecordUnknown', draftId };
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
