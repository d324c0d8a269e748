/**
 * The record workflow: one job per submission, a fixed list of remembered steps. A retry, a
 * second delivery of the job, or a resubmission of the same draftId runs only what is not yet
 * done, and leaves one record, one search document, one audit entry per action.
 */
import {
  boundMessage,
  errorLine,
  hintOutbox,
  mustLookUpDraft,
  recordInputSchemas,
  RecordJobData,
  releaseDraft,
  sealHolds,
  removePendingWork,
  type DraftOutcome,
  processedView,
  type RecordJob,
  type RecordJobProgress,
  type RecordJobResult,
  type RecordDocument,
  type Step,
} from '@steadfast/commons';
import { UnrecoverableError } from 'bullmq';
import { isDone, markDone, type StepContext, type StepEffect, type WorkflowDeps } from './context.js';
import { isRetryable } from './classify.js';
import { InvalidJob, Rejection } from './errors.js';
import { checkJob } from './records/job-check.js';
import { writeAudit } from './steps/audit.js';
import { asksCountry, notifyReceived, requestExternalValidation } from './steps/external.js';
import { discardUploads, moveAttachments, removeStaged } from './steps/attachments.js';
import { applyCorrection, createRecord, followCreatorRename } from './steps/metadata.js';
import { checkDuplicates, indexRecord } from './steps/search.js';
import { stagedContentProblem } from './steps/staged-content.js';

/**
 * The steps after metadata (which the record's first write marks), in order. Every step is
 * idempotent, so a mark only saves redoing work on a retry; it is written at checkpoints, not
 * after every step (each mark is a write of the whole record): once the record is in every store
 * (`audit`) when the country is to be asked next (a call that can fail for hours; its retries
 * then start there), after an external call that should not be repeated (`validation`, when it
 * made one), and at the end only when a change of the record waits for it. A record
 * nobody outside is asked about and with no new duplicate is not written again after its insert:
 * the draft's outcome ends its work, and a retry after a failure before it (the notification
 * queue or MinIO's clean-up down) redoes the stores' steps, which find their work done. A
 * checkpoint is a pure function of the job and record (`checkpointAfter`), so a unit test covers
 * it.
 *
 * Steps in one stage run at the same time: the attachments' copy (MinIO, one request per file)
 * and the search document (a bulk request that waits for Elasticsearch's refresh) need nothing
 * from each other, and the copy is done long before the refresh, so it adds nothing to a job's
 * time; the jobs that left an insert batch together also reach the search batch together (at
 * 21.4 records/s the bulk sizes did not show a difference; docs/benchmark-history.md, third pass). A stage fails
 * when any of its steps fails (the first one in order is reported); a retry redoes the stage's
 * unmarked steps, which are idempotent.
 */
type StepSpec = { name: Step; run: (ctx: StepContext) => Promise<StepEffect> };

const STAGES: ReadonlyArray<readonly StepSpec[]> = [
  [
    { name: 'attachments', run: moveAttachments },
    { name: 'search', run: indexRecord },
  ],
  [{ name: 'duplicates', run: checkDuplicates }],
  [{ name: 'audit', run: writeAudit }],
  [{ name: 'validation', run: requestExternalValidation }],
  [{ name: 'notify', run: notifyReceived }],
  [{ name: 'cleanup', run: removeStaged }],
  [{ name: 'finish', run: followCreatorRename }],
];

/** Runs a stage's steps at once; settles when all did, with their effects or the first failure in order. */
async function runStage(ctx: StepContext, steps: readonly StepSpec[]): Promise<{ effects: StepEffect[] } | { failedStep: Step; error: unknown }> {
  const settled = await Promise.allSettled(steps.map(({ run }) => run(ctx)));
  const failed = settled.findIndex((s) => s.status === 'rejected');
  if (failed >= 0) return { failedStep: steps[failed]!.name, error: (settled[failed] as PromiseRejectedResult).reason };
  return { effects: settled.map((s) => (s as PromiseFulfilledResult<StepEffect>).value) };
}

/**
 * Whether the marks gathered so far are written once `step` is done (and made `effect`). At the
 * end, only with a change of the record left to it (`pending`: duplicate flags): the marks alone
 * would cost a whole-document write per record for the rare retry after the outcome's insert
 * failed, which redoes the idempotent steps instead.
 */
export function checkpointAfter(step: Step, effect: StepEffect, ctx: Pick<StepContext, 'data' | 'record' | 'pending'>): boolean {
  if (step === 'audit') return asksCountry(ctx);
  if (step === 'validation') return effect !== 'nothing';
  return step === 'finish' && ctx.pending !== undefined;
}

/**
 * The first line of an error, capped: it becomes the job's failedReason, which the client sees
 * as lastError and Sentry receives. Store errors carry previews of the rejected values on later
 * lines (Elasticsearch quotes document fields), and those may be personal data.
 */
function summary(cause: unknown): string {
  return errorLine(cause instanceof Error ? cause.message : String(cause));
}

export class StepFailed extends Error {
  constructor(
    readonly step: Step,
    cause: unknown,
  ) {
    super(`${step} step failed: ${summary(cause)}`, { cause });
    this.name = 'StepFailed';
  }
}

export function createRecordProcessor(deps: WorkflowDeps): (job: RecordJob) => Promise<RecordJobResult> {
  // The gateway's schemas with the gateway's limits: a job is held to the submission rules.
  const schemas = recordInputSchemas(deps.inputs);
  return async (job) => {
    const parsed = RecordJobData.safeParse(job.data);
    // A malformed payload is a bug in whatever queued it; retrying it cannot help. Zod's message
    // quotes the payload (keys, values): only a bounded line of it goes on.
    if (!parsed.success) throw new UnrecoverableError(`invalid job payload: ${errorLine(boundMessage(parsed.error.message))}`);
    let data = parsed.data;
    const log = deps.logger.child({
      draftId: data.draftId,
      correlationId: data.correlationId,
      ...(data.recordId ? { recordId: data.recordId } : {}),
      attempt: job.attemptsMade + 1,
    });

    const decided = mustLookUpDraft(data, job.attemptsStarted) ? await deps.batches.draft.add(data.draftId) : undefined;
    if (decided) {
      if (decided.fingerprint !== data.fingerprint) {
        log.warn('a different payload reused a decided draftId; ignored');
        await discardUploads(deps, data);
        return { outcome: 'rejected', reason: `draftId ${data.draftId} was already used for a different submission` };
      }
      // A repeat queued while MongoDB could not be asked staged its uploads again: drop them
      // (placed ones the record lists stay: a retry of the job that processed the draft).
      await discardUploads(deps, data);
      await settle(deps, data);
      return decided.status === 'processed'
        ? { outcome: 'processed', recordId: decided.recordId }
        : { outcome: 'rejected', reason: decided.reason };
    }

    let step: Step = 'metadata';
    try {
      // Before any write: the job must be one the gateway could have queued (see job-check.ts).
      const checked = checkJob(data, schemas);
      if (!checked.ok) throw new InvalidJob(checked.reason);
      data = { ...data, details: checked.details };
      // Sealed by a gateway, which checked each file before writing it: not read again.
      const sealed = deps.jobSealSecret !== undefined && sealHolds(deps.jobSealSecret, data);
      const staged = sealed ? undefined : await stagedContentProblem(deps, data);
      if (staged !== undefined) throw new InvalidJob(`invalid job: ${staged}`);
      const record = data.operation === 'create' ? await createRecord(deps, data) : await applyCorrection(deps, data);
      const ctx: StepContext = { deps, job, data, log: log.child({ recordId: record._id }), record };
      const unmarked: Step[] = [];
      const processed: DraftOutcome = { status: 'processed', recordId: record._id };
      // A retry after the outcome's write failed and the last mark's did not: the outcome alone.
      if (isDone(ctx, 'finish')) await writeOutcome(deps, data, processed);
      for (const stage of STAGES) {
        const todo = stage.filter(({ name }) => !isDone(ctx, name));
        if (todo.length === 0) continue;
        step = todo[0]!.name;
        const started = performance.now();
        const outcome = await runStage(ctx, todo);
        if ('error' in outcome) {
          step = outcome.failedStep;
          throw outcome.error;
        }
        const { effects } = outcome;
        const seconds = (performance.now() - started) / 1000;
        for (const [i, { name }] of todo.entries()) {
          unmarked.push(name);
          // A step that made no outside call (`validation` for anything but a registration)
          // leaves its mark to the next checkpoint.
          if (checkpointAfter(name, effects[i], ctx)) await markDone(ctx, unmarked.splice(0));
          // The draft's outcome ends the work (a retry is answered from it, a later correction
          // waits for it: steps/ordering.ts), after the last checkpoint's write: an outcome
          // never stands for a change of the record that was not written.
          if (name === 'finish') await writeOutcome(deps, data, processed);
          deps.metrics?.stepSeconds.observe({ step: name }, seconds);
        }
        ctx.log.debug({ steps: todo.map(({ name }) => name), ms: Math.round(seconds * 1000) }, 'stage done');
      }
      await settle(deps, data, data.operation === 'create' ? ctx.record : undefined);
      deps.metrics?.jobs.inc({ outcome: 'processed' });
      ctx.log.info({ trackingId: ctx.record.trackingId, status: ctx.record.status }, 'record processed');
      // The record as the steps left it (each step that changes it keeps ctx.record current).
      return { outcome: 'processed', recordId: record._id, record: processedView(ctx.record) };
    } catch (error) {
      if (error instanceof Rejection) {
        await decide(deps, data, { status: 'rejected', code: error.code, reason: error.message });
        // Decided first, so a MinIO failure here retries into the branch above, which drops them.
        await discardUploads(deps, data);
        deps.metrics?.jobs.inc({ outcome: 'rejected' });
        log.warn({ code: error.code, reason: error.message }, 'submission rejected');
        // A job the gateway would never have queued is an operator's business: it goes to the
        // failed set (shown in Bull Board, alerted), its draft decided as rejected for the status.
        if (error instanceof InvalidJob) throw new UnrecoverableError(`rejected: ${error.message}`);
        return { outcome: 'rejected', reason: error.message };
      }
      deps.metrics?.stepFailures.inc({ step });
      await reportFailedStep(job, step);
      const failed = new StepFailed(step, error);
      // Fails the job now (to the failed set, alerted) instead of retrying what cannot succeed.
      if (!isRetryable(error)) throw new UnrecoverableError(`${failed.message} (not retryable)`);
      throw failed;
    }
  };
}

/** Tells the status which step failed; best effort (the status falls back to the record's marks). */
async function reportFailedStep(job: RecordJob, step: Step): Promise<void> {
  const progress: RecordJobProgress = { failedStep: step };
  try {
    await job.updateProgress(progress);
  } catch {
    // Redis down: the failure itself cannot be recorded either; the retry will tell again.
  }
}

/** Writes the draft's outcome once (a later, different outcome never replaces it), then settles. */
async function decide(deps: WorkflowDeps, data: RecordJobData, outcome: DraftOutcome): Promise<void> {
  await writeOutcome(deps, data, outcome);
  await settle(deps, data);
}

/** The draft's outcome, with the other jobs' outcomes in one insert; the first one stays. */
async function writeOutcome(deps: WorkflowDeps, data: RecordJobData, outcome: DraftOutcome): Promise<void> {
  await deps.batches.insertDraft.add({
    _id: data.draftId,
    operation: data.operation,
    fingerprint: data.fingerprint,
    userId: data.userId,
    decidedAt: new Date(),
    ...outcome,
  });
}

/**
 * The outcome is in MongoDB: the in-flight claim and the record's pending entry can go. A job
 * that created its record tells the relay here, not right after the insert: the hint and the
 * release are one write to Redis, and the relay takes the record's events of the whole job (its
 * creation, the flags of the last checkpoint) in one round. A hint lost with a job that stopped
 * before this is found by the relay's sweep of `outboxPending` (RELAY_SWEEP_MS), as any lost hint.
 * A record this job left at version 1 (as inserted, or as read) had no change after its insert:
 * its outbox as this job holds it is all the document can hold at that version, so the hint
 * carries it and the relay need not read the record (commons events/relay.ts).
 */
async function settle(deps: WorkflowDeps, data: RecordJobData, created?: RecordDocument): Promise<void> {
  const copy = created?.version === 1 && created.outbox !== undefined ? { version: 1, events: created.outbox } : undefined;
  await Promise.all([
    releaseDraft(deps.redis, data.draftId),
    created === undefined ? undefined : hintOutbox(deps.redis, deps.db.records, created._id, deps.logger, copy),
  ]);
  if (data.recordId) await removePendingWork(deps.redis, data.recordId, data.draftId);
}
