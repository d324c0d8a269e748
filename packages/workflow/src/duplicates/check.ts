/**
 * The duplicate check of one record: one bounded search, each candidate pair stored once, and
 * the flags set where they are not yet. Its cost does not grow with the number of similar
 * records already stored: at most `cap` pairs in one insert, and a matched record written only
 * the first time it gets a candidate. The record's own fields (its flag, the overflow) ride on
 * the next checkpoint's write of the record (`ctx.pending`), so they cost no write of their own.
 *
 * Order does not matter: the record is indexed and made visible before the search (the search
 * step), so of two similar records processed at the same time the one that searches later sees
 * the other; the pair is stored by whichever sees the other first, and the other's insert of
 * the same pair is a duplicate key. A repeated step stores nothing new.
 */
import { pairIdOf, pairsOf, storePairs, type RecordDocument } from '@steadfast/commons';
import type { StepContext, WorkflowDeps } from '../context.js';
import { changeRecord } from '@steadfast/records';
import { ownDuplicateFields, planDuplicates, type DuplicatePlan } from './plan.js';

/** Candidates one record's check pairs with, unless `DUPLICATE_CANDIDATE_CAP` says otherwise. */
export const DEFAULT_DUPLICATE_CANDIDATE_CAP = 20;

/**
 * Sets a record's duplicate fields (the flag; for the checked record, the overflow of its
 * check too) with a `record.duplicates-flagged` event, a compare-and-set on the version, so a
 * concurrent change is never overwritten. Returns the record as written, or undefined when it
 * held them already (or does not exist): a record flagged once is never written for a later
 * similar record again. `first`: the record as the caller holds it, saving the first read.
 */
export async function flagDuplicates(
  deps: WorkflowDeps,
  recordId: string,
  plan: Pick<DuplicatePlan, 'pair' | 'overflow'> | 'flag',
  { correlationId, first, marks }: { correlationId?: string; first?: RecordDocument; marks?: Record<string, Date> } = {},
): Promise<RecordDocument | undefined> {
  return changeRecord<RecordDocument | undefined>(
    deps,
    recordId,
    (record) => {
      const fields =
        plan === 'flag'
          ? record.hasPotentialDuplicates
            ? undefined
            : { hasPotentialDuplicates: true as const }
          : ownDuplicateFields(record, { ...plan, flag: [] });
      if (!fields) return { done: undefined };
      const now = new Date();
      return {
        update: { $set: { ...fields, updatedAt: now, ...marks } },
        event: {
          type: 'record.duplicates-flagged',
          changes: { ...fields, updatedAt: now.toISOString() },
          at: now,
          ...(correlationId ? { correlationId } : {}),
        },
        // The record as read and written by compare-and-set: exactly what is in MongoDB now.
        after: (read, version) => ({ ...read, ...fields, updatedAt: now, version }),
      };
    },
    {
      rounds: 10,
      ...(first ? { first } : {}),
      missing: () => undefined,
      exhausted: () => {
        throw new Error(`record ${recordId} kept changing while its duplicates were flagged; retrying`);
      },
    },
  );
}

export async function checkDuplicates(ctx: StepContext): Promise<void> {
  const { deps } = ctx;
  const correlationId = ctx.data.correlationId;
  const cap = deps.duplicateCap ?? DEFAULT_DUPLICATE_CANDIDATE_CAP;
  const me = ctx.record;
  const plan = planDuplicates(await deps.batches.duplicates.add({ record: me, limit: cap }), cap);
  deps.metrics?.duplicateCandidates.observe(plan.pair.length);
  if (plan.overflow > 0) {
    deps.metrics?.duplicateOverflow.inc(plan.overflow);
    deps.metrics?.duplicateCapped.inc();
  }
  // The record's own fields change (a first candidate, or a corrected record's new overflow).
  const own = ownDuplicateFields(me, plan);
  if (own) {
    ctx.pending = async (marks) => {
      const written = await flagDuplicates(deps, me._id, plan, { correlationId, first: ctx.record, marks });
      if (!written) return false;
      ctx.record = written;
      await deps.batches.reproject.add({ record: written });
      return true;
    };
  }
  if (plan.pair.length === 0) return;

  // A matched record is flagged once in its life, and by this check only if this check found the
  // pair: had the other's check seen this record, it stored the pair and flags itself. So of the
  // candidates whose search document (read in real time) does not show the flag yet, this flags
  // those whose pair it stored now, or in an earlier run of this step (the pair says who).
  const stored = await storePairs(deps.db.duplicatePairs, pairsOf(me._id, plan.pair, me.event, new Date(), correlationId));
  const storedNow = new Set(stored.map((pair) => pair._id));
  const flagged = await Promise.all(
    (await deps.search.unflagged(plan.flag)).map(async (id) => {
      const pairId = pairIdOf(me._id, id);
      const mine = storedNow.has(pairId) || (await deps.db.duplicatePairs.findOne({ _id: pairId }, { projection: { foundBy: 1 } }))?.foundBy === me._id;
      if (!mine) return false;
      const written = await flagDuplicates(deps, id, 'flag', { correlationId });
      if (written) await deps.batches.reproject.add({ record: written });
      return !!written;
    }),
  );
  ctx.log.info({ candidates: plan.pair.length, newPairs: stored.length, overflow: plan.overflow, flagged: flagged.filter(Boolean).length }, 'potential duplicates found');
}
