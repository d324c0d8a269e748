/**
 * The in-flight claim on a draftId, in Redis: `{steadfast}:draft:<draftId>` holds the
 * fingerprint of the payload first accepted under it, from acceptance until the workflow has
 * written the outcome to MongoDB (which keeps it for as long as the record). The claim is one
 * atomic `SET NX GET`, so two gateways racing with different payloads cannot both win.
 */
import type { Redis } from 'ioredis';
import { redisKey } from '../redis-connection.js';

export type ClaimResult = 'new' | 'same' | 'reused';

export const draftClaimKey = (draftId: string): string => redisKey('draft', draftId);

export async function claimDraft(redis: Redis, draftId: string, fingerprint: string): Promise<ClaimResult> {
  const previous = (await redis.call('SET', draftClaimKey(draftId), fingerprint, 'NX', 'GET')) as string | null;
  if (previous === null) return 'new';
  return previous === fingerprint ? 'same' : 'reused';
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
