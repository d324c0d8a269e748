/**
 * What a step works with: the job's data, the record as last read, and the stores. Each step
 * is idempotent and remembered: it checks its mark on the record's action state, does its
 * work, then sets the mark, so a retry resumes at the first unmarked step.
 */
import type {
  Collections,
  Logger,
  MinioClient,
  RecordDocument,
  RecordJob,
  RecordJobData,
  RecordInputOptions,
  RecordQueue,
  Redis,
  Step,
} from '@steadfast/commons';
import type { WorkflowMetrics } from './metrics.js';
import type { WorkflowBatches } from './batches.js';
import type { DirectoryCopies } from './records/directory-copies.js';
import type { Notifications } from './notifications/notifications.js';
import type { SearchIndex } from '@steadfast/records';

export interface WorkflowDeps {
  db: Collections;
  minio: MinioClient;
  buckets: { attachments: string; staging: string };
  search: SearchIndex;
  redis: Redis;
  queue: RecordQueue;
  logger: Logger;
  metrics?: WorkflowMetrics;
  /** The group commit: the steps' store calls, shared with the worker's other jobs (batches.ts). */
  batches: WorkflowBatches;
  /** Directory entries as last read, for new records' copies of their creator. */
  directoryCopies: DirectoryCopies;
  notifications?: Notifications;
  /** Candidates one record's duplicate check pairs with (`DUPLICATE_CANDIDATE_CAP`; 20 when unset). */
  duplicateCap?: number;
  /** Services the steps call: auth (internal tokens) and the country config. */
  urls: { auth: string; countryConfig: string };
  /**
   * The limits the gateway validates submissions with (its ATTACHMENT_MAX_* settings): the
   * worker checks every job again with them. Absent: the defaults, as in the gateway.
   */
  inputs?: RecordInputOptions;
  /** The workflow's credential at auth's `/internal/tokens` (AUTH_INTERNAL_SECRET). */
  authSecret: string;
  /** The key of the gateway's seal on jobs (JOB_SEAL_SECRET); unset: every job's files are read. */
  jobSealSecret?: string;
}

export interface StepContext {
  deps: WorkflowDeps;
  job: RecordJob;
  data: RecordJobData;
  log: Logger;
  /** The record as last read or written; steps that change it reload it. */
  record: RecordDocument;
  /**
   * A change of the record a step decided and left to the next checkpoint, which writes it
   * together with the marks: one write of the record instead of two. Given the marks to set, it
   * writes both and answers true, or false when the change is no longer needed (the checkpoint
   * then writes the marks alone). A failure before the checkpoint redoes the step, and so the
   * decision.
   */
  pending?: (marks: Record<string, Date>) => Promise<boolean>;
}

export const isDone = (ctx: StepContext, step: Step): boolean =>
  ctx.record.actions[ctx.data.draftId]?.steps[step] !== undefined;

/**
 * What a step reports: `'nothing'` when it had nothing to do for this submission (no outside
 * call made), so its mark can wait for the next checkpoint.
 */
export type StepEffect = void | 'nothing';

/** Marks steps done, in one write of the record. */
export async function markDone(ctx: StepContext, steps: readonly Step[]): Promise<void> {
  if (steps.length === 0) return;
  const at = new Date();
  const set = Object.fromEntries(steps.map((step) => [`actions.${ctx.data.draftId}.steps.${step}`, at]));
  const pending = ctx.pending;
  ctx.pending = undefined;
  if (!pending || !(await pending(set))) await ctx.deps.batches.writeRecord.add({ updateOne: { filter: { _id: ctx.record._id }, update: { $set: set } } });
  const action = ctx.record.actions[ctx.data.draftId];
  if (action) for (const step of steps) action.steps[step] = at;
}

export async function reload(ctx: StepContext): Promise<RecordDocument> {
  const record = await ctx.deps.db.records.findOne({ _id: ctx.record._id });
  if (!record) throw new Error(`record ${ctx.record._id} disappeared from MongoDB`);
  ctx.record = record;
  return record;
}
