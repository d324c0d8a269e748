/**
 * The duplicate check of one record: one bounded search, each candidate pair stored once, and
 * the flags set where they are not yet. Its cost does not grow with the number of similar
 * records already stored: at most `cap` pairs in one insert, the record's own fields in one
 * write when they change, and a matched record written only the first time it gets a candidate.
 *
 * Order does not matter: the record is indexed and made visible before the search (the search
 * step), so of two similar records processed at the same time the one that searches later sees
 * the other; the pair is stored by whichever sees the other first, and the other's insert of
 * the same pair is a duplicate key. A repeated step stores nothing new.
 */
import { pairsOf, storePairs, type RecordDocument } from '@steadfast/commons';
import type { StepContext, WorkflowDeps } from '../context.js';
import { changeRecord } from '../records/change.js';
import { ownDuplicateFields, planDuplicates, type DuplicatePlan } from './plan.js';

/** Candidates one record's check pairs with, unless `DUPLICATE_CANDIDATE_CAP` says otherwise. */
export const DEFAULT_DUPLICATE_CANDIDATE_CAP = 50;

/**
 * Sets a record's duplicate fields (the flag, the overflow of its own check) with a
 * `record.duplicates-flagged` event, a compare-and-set on the version, so a concurrent change
 * is never overwritten. Returns the record as written, or undefined when it held them already
 * (or does not exist): a record flagged once is never written for its duplicates again.
 */
export async function flagDuplicates(
  deps: WorkflowDeps,
  recordId: string,
  plan: Pick<DuplicatePlan, 'pair' | 'overflow'> | 'flag',
  correlationId?: string,
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
        update: { $set: { ...fields, updatedAt: now } },
        event: {
          type: 'record.duplicates-flagged',
          changes: { ...fields, updatedAt: now.toISOString() },
          at: now,
          ...(correlationId ? { correlationId } : {}),
        },
        after: (read, version) => ({ ...read, ...fields, updatedAt: now, version }),
      };
    },
    {
      rounds: 10,
      missing: () => undefined,
      exhausted: () => {
        throw new Error(`record ${recordId} kept changing while its duplicates were flagged; retrying`);
      },
    },
  );
}

export async function checkDuplicates(ctx: StepContext): Promise<void> {
  const { deps } = ctx;
  const cap = deps.duplicateCap ?? DEFAULT_DUPLICATE_CANDIDATE_CAP;
  const me = ctx.record;
  const plan = planDuplicates(await deps.search.findDuplicates(me, cap), cap);
  deps.metrics?.duplicateCandidates.observe(plan.pair.length);
  if (plan.overflow > 0) {
    deps.metrics?.duplicateOverflow.inc(plan.overflow);
    deps.metrics?.duplicateCapped.inc();
  }
  if (plan.pair.length === 0 && plan.overflow === 0) return;

  // The pairs first: they are what the flags say. A crash after them redoes the step, which
  // finds them stored and sets the flags.
  const stored = await storePairs(deps.db.duplicatePairs, pairsOf(me._id, plan.pair, me.event, new Date(), ctx.data.correlationId));
  const own = ownDuplicateFields(me, plan)
    ? flagDuplicates(deps, me._id, plan, ctx.data.correlationId).then(async (written) => {
        // The record as read and written by compare-and-set: exactly what is in MongoDB now.
        if (!written) return;
        ctx.record = written;
        await deps.search.project(written);
      })
    : Promise.resolve();
  // A matched record is flagged once in its life; its search document says so from then on, so
  // later checks skip it (a stale document costs one read that finds the flag set).
  const others = plan.flag.map(async (id) => {
    const written = await flagDuplicates(deps, id, 'flag', ctx.data.correlationId);
    if (written) await deps.search.project(written);
  });
  await Promise.all([own, ...others]);
  ctx.log.info(
    { candidates: plan.pair.length, newPairs: stored, overflow: plan.overflow, flagged: plan.flag.length },
    'potential duplicates found',
  );
}
