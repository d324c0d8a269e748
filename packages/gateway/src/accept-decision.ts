/**
 * What accepting a submission does, as a pure decision over what is known about its draftId:
 * the claim taken in Redis, the draft's job, the outcome MongoDB has decided, the record a
 * processed repeat names, and who is asking (visibility.ts). `Submissions.accept` gathers those
 * facts one look-up at a time, as this decision asks for them, and carries out what it decides.
 *
 * - claim `reused` (another payload holds the draftId): refused as IDEMPOTENCY_KEY_REUSED;
 * - claim `same` with a job: a repeat of that job;
 * - otherwise (not in flight) the draft may have been decided already; a correction's uploads
 *   are staged while MongoDB is asked (nearly every draft that gets here is new), and:
 *   - decided: the staged copies and the claim go; another payload is refused, a repeat answered
 *     from the outcome (a processed one after reading its record's ids);
 *   - MongoDB cannot say: the job, kept a while after it completed, answers instead (another
 *     payload refused, the claim released), else the draft is queued;
 *   - not decided: queued.
 * A queued create's uploads are placed at the record's keys first (the record's id follows from
 * the draftId, and the key names the payload), so the workflow neither copies nor unstages them;
 * a correction's are staged. Every create is placed, MongoDB answering or not: concurrent repeats
 * of one draft may decide differently (one finds MongoDB down, another up) and only the first
 * job queued runs, so all of them must put the same bytes at the same keys. A repeat of a decided
 * draft rewrites the record's own object with the same bytes; the workflow, which then finds
 * the draft decided, removes only what the record does not list. Placing only on the way to the
 * queue means no refusal ever writes under a record's prefix.
 * A repeat is refused as IDEMPOTENCY_KEY_REUSED to a user who may not see the draft: it would
 * otherwise learn the record's ids.
 */
import type { ClaimResult, RecordJobResult } from '@steadfast/commons';
import { canSeeDraft, type Viewer } from './visibility.js';

/** The draft's job in the queue, as far as accepting needs it. */
export interface JobFacts {
  fingerprint: string;
  userId: string;
  /** `completed` or `failed` (for good, in the failed set); anything else is in flight. */
  state: 'completed' | 'failed' | 'in-flight';
  /** Finished (completed or failed), so its staged uploads are no longer needed. */
  finished: boolean;
  result?: RecordJobResult | null;
}

/** The draft's outcome as MongoDB keeps it. */
export type DecidedFacts =
  | { status: 'processed'; fingerprint: string; recordId: string; userId?: string }
  | { status: 'rejected'; fingerprint: string; userId?: string };

/** The record a processed draft wrote, as far as a repeat's answer needs it. */
export interface RecordFacts {
  trackingId: string;
  /** Who submitted this draft's action on the record, when the record says. */
  submitter?: string;
}

/** Where a queued submission's uploads go: the staging bucket, or straight to the record's keys. */
export type Uploads = 'stage' | 'place';

export interface AcceptFacts {
  fingerprint: string;
  /** A new record: its id follows from the draftId, so its uploads can go to the record's keys. */
  create: boolean;
  user: Viewer;
  claim: ClaimResult;
  /** undefined: not looked up yet; null: there is none. */
  job?: JobFacts | null;
  /** undefined: not asked yet; null: not decided; `unknown`: MongoDB could not be asked. */
  decided?: DecidedFacts | null | 'unknown';
  /** The processed draft's record; undefined: not read yet; null: not found. */
  record?: RecordFacts | null;
}

/**
 * Side effects, carried out in order before the next look-up or the answer: remove this
 * submission's staged uploads, release the draft's claim, retry the draft's failed job.
 */
export type AcceptEffect = 'unstage' | 'release' | 'retry';

export type AcceptNext =
  /** Read the draft's job (and its state). */
  | { kind: 'look-up-job' }
  /** Ask MongoDB for the draft's outcome, staging the uploads meanwhile. */
  | { kind: 'look-up-decided'; stageMeanwhile: boolean }
  /** Read the processed draft's record. */
  | { kind: 'look-up-record'; recordId: string }
  /** IDEMPOTENCY_KEY_REUSED. */
  | { kind: 'refuse' }
  /** Answer as a repeat, with the ids known. */
  | { kind: 'repeat'; recordId?: string; trackingId?: string }
  /**
   * Queue the draft's one job (releasing the claim if that fails), its uploads staged, or
   * `place`d at the record's keys: a create.
   */
  | { kind: 'queue'; uploads: Uploads };

export interface AcceptDecision {
  effects: AcceptEffect[];
  next: AcceptNext;
}

const decision = (next: AcceptNext, effects: AcceptEffect[] = []): AcceptDecision => ({ effects, next });

const uploadsOf = (facts: AcceptFacts): Uploads => (facts.create ? 'place' : 'stage');

export function decideAccept(facts: AcceptFacts): AcceptDecision {
  if (facts.claim === 'reused') return decision({ kind: 'refuse' });
  if (facts.claim === 'same') {
    if (facts.job === undefined) return decision({ kind: 'look-up-job' });
    if (facts.job) return repeatOfJob(facts, facts.job, []);
  }
  // Not in flight: it may have been decided already (its claim released), which MongoDB knows.
  // A create's uploads wait for the answer, to be placed if it is queued; any other submission's
  // are staged meanwhile (nearly every draft that gets here is new).
  if (facts.decided === undefined) return decision({ kind: 'look-up-decided', stageMeanwhile: !facts.create });
  if (facts.decided === 'unknown') {
    // MongoDB cannot say, but the job of a decided draft is kept a while after it completed;
    // queueing again would be refused by BullMQ. (A job looked up moments ago, for a `same`
    // claim, is not looked up again.)
    if (facts.job === undefined) return decision({ kind: 'look-up-job' });
    if (!facts.job) return decision({ kind: 'queue', uploads: uploadsOf(facts) });
    const other = facts.job.fingerprint !== facts.fingerprint;
    // A finished job needs no staged uploads. One in flight may still need them (the same keys,
    // the same bytes): those its own cleanup removes.
    const effects: AcceptEffect[] = facts.job.finished || other ? ['unstage'] : [];
    if (other) return decision({ kind: 'refuse' }, [...effects, 'release']);
    return repeatOfJob(facts, facts.job, effects);
  }
  if (facts.decided === null) return decision({ kind: 'queue', uploads: uploadsOf(facts) });
  // Decided: its job is done with the staged uploads, and this repeat's copies can go.
  const effects: AcceptEffect[] = ['unstage', 'release'];
  const decided = facts.decided;
  if (decided.fingerprint !== facts.fingerprint) return decision({ kind: 'refuse' }, effects);
  if (decided.status === 'rejected') {
    if (decided.userId !== undefined && !canSeeDraft(facts.user, decided.userId)) return decision({ kind: 'refuse' }, effects);
    return decision({ kind: 'repeat' }, effects);
  }
  if (facts.record === undefined) return decision({ kind: 'look-up-record', recordId: decided.recordId }, effects);
  if (facts.record?.submitter !== undefined && !canSeeDraft(facts.user, facts.record.submitter)) {
    return decision({ kind: 'refuse' }, effects);
  }
  return decision({ kind: 'repeat', recordId: decided.recordId, ...(facts.record ? { trackingId: facts.record.trackingId } : {}) }, effects);
}

/**
 * A repeat of a submission whose job exists. A client retry revives a job that exhausted its
 * attempts (it resumes where it stopped); a completed job's outcome is settled, so the claim,
 * if this repeat took it again, goes.
 */
function repeatOfJob(facts: AcceptFacts, job: JobFacts, effects: AcceptEffect[]): AcceptDecision {
  if (!canSeeDraft(facts.user, job.userId)) return decision({ kind: 'refuse' }, effects);
  if (job.state === 'failed') return decision({ kind: 'repeat' }, [...effects, 'retry']);
  if (job.state === 'completed') {
    const recordId = job.result?.outcome === 'processed' ? job.result.recordId : undefined;
    return decision({ kind: 'repeat', ...(recordId ? { recordId } : {}) }, [...effects, 'release']);
  }
  return decision({ kind: 'repeat' }, effects);
}
