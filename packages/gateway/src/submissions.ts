/**
 * Accepting a submission: decide what the user may do, fingerprint the validated payload, claim
 * the draftId, store the attachments in MinIO (placed at a new record's keys, or staged) and
 * queue one job under the draftId. Any number
 * of repeats, before, during or after processing, lead to that one job and its one outcome.
 * A repeat by another user who may not see the draft's status (visibility.ts) is refused as
 * IDEMPOTENCY_KEY_REUSED: it would otherwise learn the record's ids.
 */
import { createHash } from 'node:crypto';
import {
  addPendingWork,
  claimDraftAndLook,
  findByIdBatcher,
  fingerprint,
  MAX_IDS_PER_FIND,
  jobSeal,
  recordIdFor,
  recordKeyFor,
  releaseDraft,
  stagingKeyFor,
  type AttachmentRef,
  type Batcher,
  type ClaimAndJob,
  type Collections,
  type DraftDocument,
  type EventType,
  type Logger,
  type MinioClient,
  type Operation,
  type RecordAction,
  type RecordJob,
  type RecordJobData,
  type RecordJobResult,
  type RecordQueue,
  type Redis,
} from '@steadfast/commons';
import { forbidden, idempotencyKeyReused, unavailable } from './errors.js';
import { decideAccept, type AcceptEffect, type AcceptFacts, type JobFacts, type RecordFacts } from './accept-decision.js';

export interface SubmittingUser {
  userId: string;
  scopes: readonly string[];
}

export interface AttachmentUpload {
  type: string;
  subject: string;
  contentType: string;
  /** base64, already validated */
  data: string;
}

export interface Submission {
  operation: Operation;
  event?: EventType;
  recordId?: string;
  draftId: string;
  /** The validated input; its `attachments` are staged and replaced by references. */
  details: Record<string, unknown> & { attachments?: AttachmentUpload[] };
  user: SubmittingUser;
  correlationId: string;
}

export interface Accepted {
  draftId: string;
  /** Known only when the submission was already processed (a repeat). */
  recordId?: string;
  trackingId?: string;
}

/** The action a user's scopes allow for an operation, strongest first. */
export function actionFor(operation: Operation, scopes: readonly string[]): RecordAction {
  const has = (s: string) => scopes.includes(s);
  switch (operation) {
    case 'create':
      if (has('register')) return 'register';
      if (has('validate')) return 'validate';
      if (has('declare')) return 'declare';
      throw forbidden('submitting a registration needs the declare, validate or register scope');
    case 'request-correction':
      if (has('correct') || has('validate')) return 'request-correction';
      throw forbidden('requesting a correction needs the validate or correct scope');
    case 'correct':
      if (has('correct')) return 'correct';
      throw forbidden('correcting a record needs the correct scope');
  }
}

export interface SubmissionDeps {
  redis: Redis;
  queue: RecordQueue;
  db: Collections;
  minio: MinioClient;
  /** Where uploads go: staged for the workflow to copy, or placed at a new record's keys. */
  buckets: { staging: string; attachments: string };
  /** Makes the bucket if it is missing (once per bucket per process). */
  ensureBucket: (bucket: string) => Promise<void>;
  logger: Logger;
  /** Counts submissions by operation and outcome (queued, repeat, reused, unavailable). */
  count?: (operation: Operation, outcome: string) => void;
  /** Seals each job's uploads for the workflow (JOB_SEAL_SECRET; commons queue/job-seal.ts); unset: unsealed. */
  jobSealSecret?: string;
  /** Reports each batch of draft look-ups sent to MongoDB (`steadfast_batch_size{store,op}`). */
  onBatch?: (store: string, op: string, size: number) => void;
}

/**
 * How long a new submission's look-up of its draft's outcome waits for other submissions' (one
 * `find` with `$in`, at most 100 ids): not at all, the look-ups made in the same turn of the event
 * loop go together. Under load the claims of concurrent submissions come back from Redis in one
 * reply (ioredis' auto-pipelining), so their look-ups meet without a wait; at a steady rate a wait
 * would rarely find company (a quick run at 54.6/s with 10 ms: MongoDB's commands 2.44 -> 2.25 per
 * record, accept p50 8.9 -> 22.6 ms) and FerretDB's ~0.6 ms of CPU per command is not worth it.
 * And one `find` out at a time (DRAFT_LOOKUPS_IN_FLIGHT): the look-ups due while it is out go
 * together when it answers, so the batches grow with the load and a quiet gateway waits for none.
 */
export const DRAFT_LOOKUP_WAIT_MS = 0;
export const DRAFT_LOOKUPS_IN_FLIGHT = 1;

export class Submissions {
  private readonly draftLookups: Batcher<string, DraftDocument | undefined>;

  constructor(private readonly deps: SubmissionDeps) {
    this.draftLookups = findByIdBatcher(deps.db.drafts, {
      maxSize: MAX_IDS_PER_FIND,
      maxWaitMs: DRAFT_LOOKUP_WAIT_MS,
      maxInFlight: DRAFT_LOOKUPS_IN_FLIGHT,
      ...(deps.onBatch ? { onFlush: (size: number) => deps.onBatch?.('mongodb', 'find-drafts', size) } : {}),
    });
  }

  async submit(submission: Submission): Promise<Accepted> {
    try {
      const accepted = await this.accept(submission);
      this.deps.count?.(submission.operation, accepted.outcome);
      return accepted.ids;
    } catch (error) {
      const code = (error as { extensions?: { code?: string } }).extensions?.code ?? 'error';
      this.deps.count?.(submission.operation, code.toLowerCase());
      throw error;
    }
  }

  /** Gathers the facts `decideAccept` asks for, one look-up at a time, and carries out its decision. */
  private async accept(submission: Submission): Promise<{ ids: Accepted; outcome: 'queued' | 'repeat' }> {
    const { draftId, user } = submission;
    const action = actionFor(submission.operation, user.scopes);
    const print = fingerprint({
      operation: submission.operation,
      event: submission.event,
      recordId: submission.recordId,
      details: submission.details,
    });
    const log = this.deps.logger.child({ draftId, correlationId: submission.correlationId, recordId: submission.recordId });

    // One round trip: the claim, and for a repeat (`same`) the job and its state.
    const claimed = await this.store('the queue (Redis)', () => claimDraftAndLook(this.deps.redis, draftId, print, this.deps.queue.keysOf(draftId)));
    const facts: AcceptFacts = { fingerprint: print, create: submission.operation === 'create', user, claim: claimed.claim };
    if (claimed.job !== undefined) facts.job = claimed.job && jobFacts(claimed.job);
    const { attachments = [] } = submission.details;
    // Uploads staged while MongoDB is asked (not a create's: see accept-decision.ts).
    let staging: Promise<AttachmentRef[]> | undefined;
    const done = new Set<AcceptEffect>();
    for (;;) {
      const { effects, next } = decideAccept(facts);
      for (const effect of effects) {
        if (done.has(effect)) continue;
        done.add(effect);
        if (effect === 'unstage') await this.unstage(draftId, staging ?? Promise.resolve([]), log);
        else if (effect === 'release') await this.store('the queue (Redis)', () => releaseDraft(this.deps.redis, draftId));
        else await this.retry(draftId, log);
      }
      switch (next.kind) {
        case 'refuse':
          throw idempotencyKeyReused(draftId);
        case 'repeat':
          return { ids: { draftId, ...(next.recordId ? { recordId: next.recordId } : {}), ...(next.trackingId ? { trackingId: next.trackingId } : {}) }, outcome: 'repeat' };
        case 'look-up-job': {
          const job = await this.store('the queue (Redis)', () => this.deps.queue.getJob(draftId));
          facts.job = job ? await this.jobFactsOf(job) : null;
          break;
        }
        case 'look-up-decided': {
          // Staged meanwhile: nearly every draft that gets here is new; a repeat removes them
          // again. Staging that failed matters only to a draft that is queued.
          if (next.stageMeanwhile) {
            staging = this.store('the attachment store (MinIO)', () => this.upload(attachments, (ref) => this.stagedAt(draftId, ref)));
            staging.catch(() => undefined);
          }
          facts.decided = await this.decided(draftId, log);
          break;
        }
        case 'look-up-record':
          facts.record = await this.recordOf(draftId, next.recordId);
          break;
        case 'queue':
          try {
            const placed = next.uploads === 'place';
            const refs = await (placed
              ? this.store('the attachment store (MinIO)', () => this.upload(attachments, (ref) => this.placedAt(draftId, print, ref)))
              : (staging ?? this.store('the attachment store (MinIO)', () => this.upload(attachments, (ref) => this.stagedAt(draftId, ref)))));
            // MongoDB said the draft has no outcome (not `unknown`): the job need not ask again.
            await this.enqueue(submission, action, print, refs, facts.decided === null, placed);
          } catch (error) {
            // Let the next attempt start clean; if this fails too, the next attempt finds no job and queues.
            await releaseDraft(this.deps.redis, draftId).catch(() => undefined);
            throw error;
          }
          log.info({ operation: submission.operation, action }, 'submission queued');
          return { ids: { draftId }, outcome: 'queued' };
      }
    }
  }

  private async enqueue(
    submission: Submission,
    action: RecordAction,
    print: string,
    refs: AttachmentRef[],
    undecided: boolean,
    placed: boolean,
  ): Promise<void> {
    const details: Record<string, unknown> = { ...submission.details };
    delete details['attachments']; // stored apart: the job carries references, never the bytes
    const acceptedAt = new Date();
    const data: RecordJobData = {
      draftId: submission.draftId,
      operation: submission.operation,
      ...(submission.event ? { event: submission.event } : {}),
      ...(submission.recordId ? { recordId: submission.recordId } : {}),
      action,
      userId: submission.user.userId,
      fingerprint: print,
      correlationId: submission.correlationId,
      acceptedAt: acceptedAt.toISOString(),
      details,
      attachments: refs,
      ...(undecided ? { undecided: true as const } : {}),
      ...(placed && refs.length > 0 ? { placed: true as const } : {}),
    };
    // Only uploads are sealed: a job without any has nothing for the workflow to read.
    if (this.deps.jobSealSecret !== undefined && refs.length > 0) data.seal = jobSeal(this.deps.jobSealSecret, data);
    await this.store('the queue (Redis)', async () => {
      if (submission.recordId) {
        await addPendingWork(this.deps.redis, submission.recordId, submission.draftId, acceptedAt.getTime());
      }
      await this.deps.queue.add(data);
    });
  }

  /** A staged upload: `<draftId>/<index>-<sha256>` in the staging bucket; a repeat writes the same key. */
  private stagedAt(draftId: string, ref: { index: number; sha256: string }): { bucket: string; key: string } {
    return { bucket: this.deps.buckets.staging, key: stagingKeyFor(draftId, ref) };
  }

  /** A placed upload: the new record's own key, which names this payload (`recordKeyFor`). */
  private placedAt(draftId: string, print: string, ref: { index: number; sha256: string }): { bucket: string; key: string } {
    return { bucket: this.deps.buckets.attachments, key: recordKeyFor(recordIdFor(draftId), { draftId, fingerprint: print, placed: true }, ref) };
  }

  /** Writes each attachment where `at` says; the same bytes always go to the same key. */
  private async upload(
    attachments: AttachmentUpload[],
    at: (ref: { index: number; sha256: string }) => { bucket: string; key: string },
  ): Promise<AttachmentRef[]> {
    if (attachments.length === 0) return [];
    return Promise.all(
      attachments.map(async (a, index) => {
        const bytes = Buffer.from(a.data, 'base64');
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        const { bucket, key } = at({ index, sha256 });
        await this.deps.ensureBucket(bucket);
        await this.deps.minio.putObject(bucket, key, bytes, bytes.length, { 'Content-Type': a.contentType });
        return { index, type: a.type, subject: a.subject, contentType: a.contentType, size: bytes.length, sha256 };
      }),
    );
  }

  /** Best effort: `npm run reconcile` removes a staged upload left behind. */
  private async unstage(draftId: string, staging: Promise<AttachmentRef[]>, log: Logger): Promise<void> {
    try {
      const refs = await staging;
      if (refs.length === 0) return;
      await this.deps.minio.removeObjects(this.deps.buckets.staging, refs.map((r) => stagingKeyFor(draftId, r)));
    } catch (error) {
      // Staging itself failed (nothing to remove), or the removal did.
      log.warn({ err: (error as Error).message }, 'a repeat’s staged uploads were not removed; reconcile will');
    }
  }

  /** The draft's outcome, null when it has none, 'unknown' when MongoDB cannot be asked. */
  private async decided(draftId: string, log: Logger) {
    try {
      return (await this.draftLookups.add(draftId)) ?? null;
    } catch (error) {
      // MongoDB down must not stop intake: the workflow checks again before writing anything.
      log.warn({ err: (error as Error).message }, 'could not look up the draft in MongoDB; queueing');
      return 'unknown' as const;
    }
  }

  /** A client retry revives a job that exhausted its attempts: it resumes where it stopped. */
  private async retry(draftId: string, log: Logger): Promise<void> {
    await this.store('the queue (Redis)', async () => {
      const job = await this.deps.queue.getJob(draftId);
      await job?.retry('failed');
    });
    log.info('repeat submission of an exhausted job: retrying it');
  }

  private async jobFactsOf(job: RecordJob): Promise<JobFacts> {
    const state = await this.store('the queue (Redis)', () => job.getState());
    return {
      fingerprint: job.data.fingerprint,
      userId: job.data.userId,
      state: state === 'completed' || state === 'failed' ? state : 'in-flight',
      finished: Boolean(job.finishedOn),
      result: job.returnvalue,
    };
  }

  private async recordOf(draftId: string, recordId: string): Promise<RecordFacts | null> {
    const record = await this.deps.db.records.findOne({ _id: recordId }, { projection: { trackingId: 1, [`actions.${draftId}.userId`]: 1 } });
    if (!record) return null;
    const submitter = record.actions?.[draftId]?.userId;
    return { trackingId: record.trackingId, ...(submitter !== undefined ? { submitter } : {}) };
  }

  private async store<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      this.deps.logger.warn({ err: (error as Error).message }, `${what} failed`);
      throw unavailable(what);
    }
  }
}

/** The job as `claimDraftAndLook` read it; data that does not parse reads as nobody's. */
function jobFacts(job: NonNullable<ClaimAndJob['job']>): JobFacts {
  const data = parseJson(job.data) as Partial<RecordJobData> | undefined;
  return {
    fingerprint: data?.fingerprint ?? '',
    userId: data?.userId ?? '',
    state: job.state,
    finished: job.finishedOn !== '',
    result: parseJson(job.returnvalue) as RecordJobResult | undefined,
  };
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}
