/**
 * The in-flight claim on a draftId, in Redis: `{steadfast}:draft:<draftId>` holds the
 * fingerprint of the payload first accepted under it, from acceptance until the workflow has
 * written the outcome to MongoDB (which keeps it for as long as the record). The claim is one
 * atomic `SET NX GET`, so two gateways racing with different payloads cannot both win.
 */
import type { Redis } from 'ioredis';
import { redisKey } from '../redis-connection.js';
import { redisScript } from '../redis-script.js';

export type ClaimResult = 'new' | 'same' | 'reused';

export const draftClaimKey = (draftId: string): string => redisKey('draft', draftId);

export async function claimDraft(redis: Redis, draftId: string, fingerprint: string): Promise<ClaimResult> {
  const previous = (await redis.call('SET', draftClaimKey(draftId), fingerprint, 'NX', 'GET')) as string | null;
  if (previous === null) return 'new';
  return previous === fingerprint ? 'same' : 'reused';
}

/** Where BullMQ keeps a draft's job: its hash and the sets of finished jobs (`RecordQueue.keysOf`). */
export interface DraftJobKeys {
  job: string;
  completed: string;
  failed: string;
}

/** What the claim found: the job is looked at only for a `same` claim (undefined otherwise). */
export interface ClaimAndJob {
  claim: ClaimResult;
  /** null: no job under the draftId. */
  job?: {
    /** The job's `data` (JSON), `finishedOn` and `returnvalue` (JSON) fields, '' when absent. */
    data: string;
    finishedOn: string;
    returnvalue: string;
    /** From the queue's completed and failed sets; anything else is in flight. */
    state: 'completed' | 'failed' | 'in-flight';
  } | null;
}

/**
 * The claim and, when the claim is `same` (a repeat), the draft's job and its state, in one
 * round trip rather than three (claim, job hash, job state). Every key carries the
 * `{steadfast}` hash tag, so the script runs on one node of a cluster too.
 */
const CLAIM_AND_LOOK = redisScript(`
local previous = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'GET')
if not previous then return {'new'} end
if previous ~= ARGV[1] then return {'reused'} end
local fields = redis.call('HMGET', KEYS[2], 'data', 'finishedOn', 'returnvalue')
if not fields[1] then return {'same'} end
local state = 'in-flight'
if redis.call('ZSCORE', KEYS[3], ARGV[2]) then state = 'completed'
elseif redis.call('ZSCORE', KEYS[4], ARGV[2]) then state = 'failed' end
return {'same', fields[1], fields[2] or '', fields[3] or '', state}
`);

export async function claimDraftAndLook(redis: Redis, draftId: string, fingerprint: string, keys: DraftJobKeys): Promise<ClaimAndJob> {
  const reply = (await CLAIM_AND_LOOK.run(redis, [draftClaimKey(draftId), keys.job, keys.completed, keys.failed], [fingerprint, draftId])) as string[];
  const [claim, data, finishedOn, returnvalue, state] = reply;
  if (claim !== 'same') return { claim: claim === 'new' ? 'new' : 'reused' };
  if (data === undefined) return { claim, job: null };
  return {
    claim,
    job: { data, finishedOn: finishedOn ?? '', returnvalue: returnvalue ?? '', state: state === 'completed' || state === 'failed' ? state : 'in-flight' },
  };
}

export async function draftClaim(redis: Redis, draftId: string): Promise<string | null> {
  return redis.get(draftClaimKey(draftId));
}

export async function releaseDraft(redis: Redis, draftId: string): Promise<void> {
  await redis.del(draftClaimKey(draftId));
}

/**
 * Work queued on an existing record (corrections), in order of acceptance:
 * `{steadfast}:record-pending:<recordId>` is a sorted set of draftIds scored by acceptance time.
 * A job runs only when nothing accepted before it on the same record is still unfinished.
 */
export const pendingWorkKey = (recordId: string): string => redisKey('record-pending', recordId);

export async function addPendingWork(redis: Redis, recordId: string, draftId: string, acceptedAtMs: number): Promise<void> {
  await redis.zadd(pendingWorkKey(recordId), 'NX', acceptedAtMs, draftId);
}

/** The draftIds accepted on the record before this one (ties broken by draftId), oldest first. */
export async function earlierPendingWork(redis: Redis, recordId: string, draftId: string): Promise<string[]> {
  const mine = await redis.zscore(pendingWorkKey(recordId), draftId);
  const max = mine ?? '+inf';
  const flat = await redis.zrangebyscore(pendingWorkKey(recordId), '-inf', max, 'WITHSCORES');
  const earlier: string[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const id = flat[i] as string;
    const score = Number(flat[i + 1]);
    if (id === draftId) continue;
    if (mine === null || score < Number(mine) || (score === Number(mine) && id < draftId)) earlier.push(id);
  }
  return earlier;
}

export async function removePendingWork(redis: Redis, recordId: string, draftId: string): Promise<void> {
  await redis.zrem(pendingWorkKey(recordId), draftId);
}
