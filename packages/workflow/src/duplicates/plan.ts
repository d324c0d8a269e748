/**
 * What one record's duplicate check writes, decided from the one bounded search, without the
 * stores. Nothing here grows with the number of similar records already stored: the search
 * returns at most `cap` candidates, each becomes one pair, and a matched record is written only
 * when its flag is still unset (once in its life).
 */
import type { DuplicateSearch } from '@steadfast/records';

export interface DuplicatePlan {
  /** The candidates to pair with, at most the cap. */
  pair: string[];
  /** Candidates whose search document did not show the flag yet: flag them (once each). */
  flag: string[];
  /** Matches beyond the cap, not paired with: counted and kept on the record. */
  overflow: number;
}

export function planDuplicates(found: Pick<DuplicateSearch, 'candidates' | 'total'>, cap: number): DuplicatePlan {
  const kept = found.candidates.slice(0, cap);
  return {
    pair: kept.map((c) => c.recordId),
    flag: kept.filter((c) => !c.flagged).map((c) => c.recordId),
    overflow: Math.max(0, found.total - kept.length),
  };
}

/**
 * The change of the checked record's own duplicate fields, or undefined when it holds them
 * already: the flag once it has a candidate, and the overflow of its latest check.
 */
export function ownDuplicateFields(
  record: { hasPotentialDuplicates: boolean; duplicateOverflow?: number },
  plan: DuplicatePlan,
): { hasPotentialDuplicates?: true; duplicateOverflow?: number } | undefined {
  const change: { hasPotentialDuplicates?: true; duplicateOverflow?: number } = {};
  if (plan.pair.length > 0 && !record.hasPotentialDuplicates) change.hasPotentialDuplicates = true;
  if (plan.overflow !== (record.duplicateOverflow ?? 0)) change.duplicateOverflow = plan.overflow;
  return Object.keys(change).length > 0 ? change : undefined;
}
