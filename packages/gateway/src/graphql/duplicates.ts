/**
 * `fetchDuplicateCandidates(recordId, first)`: a record's potential duplicates, read from the
 * stored pairs (the workflow's duplicate check writes them), for the users who decide on them:
 * those holding validate or register. Anyone else is refused (FORBIDDEN) before anything is
 * read; an unknown record answers an empty list.
 */
import { candidatesOf, type Collections, type RegistrationStatus } from '@steadfast/commons';
import { z } from 'zod';
import { forbidden } from '../errors.js';
import type { SubmittingUser } from '../submissions.js';

export const DEFAULT_CANDIDATES = 50;
export const MAX_CANDIDATES = 200;

const firstRule = `must be 1 to ${MAX_CANDIDATES}`;
export const First = z.number().int().min(1, { error: firstRule }).max(MAX_CANDIDATES, { error: firstRule });

export interface DuplicateCandidate {
  recordId: string;
  trackingId: string;
  registrationStatus: RegistrationStatus;
  foundAt: string;
}

export interface DuplicateCandidates {
  recordId: string;
  hasPotentialDuplicates: boolean;
  candidates: DuplicateCandidate[];
  hasMore: boolean;
  overflow: number;
}

/** Validate or register: the users who review potential duplicates. */
export function requireReviewer(user: SubmittingUser): void {
  if (!user.scopes.includes('validate') && !user.scopes.includes('register')) {
    throw forbidden('listing duplicate candidates needs the validate or register scope');
  }
}

export async function readCandidates(db: Collections, recordId: string, first: number): Promise<DuplicateCandidates> {
  const record = await db.records.findOne({ _id: recordId }, { projection: { hasPotentialDuplicates: 1, duplicateOverflow: 1 } });
  if (!record) return { recordId, hasPotentialDuplicates: false, candidates: [], hasMore: false, overflow: 0 };
  const { candidates, more } = await candidatesOf(db.duplicatePairs, recordId, first);
  // One look-up by id each (bounded by `first`): FerretDB answers `$in` with a scan.
  const others = await Promise.all(
    candidates.map(async (c) => ({
      pair: c,
      other: await db.records.findOne({ _id: c.recordId }, { projection: { trackingId: 1, status: 1 } }),
    })),
  );
  return {
    recordId,
    hasPotentialDuplicates: record.hasPotentialDuplicates,
    candidates: others.flatMap(({ pair, other }) =>
      other ? [{ recordId: other._id, trackingId: other.trackingId, registrationStatus: other.status, foundAt: pair.foundAt.toISOString() }] : [],
    ),
    hasMore: more,
    overflow: record.duplicateOverflow ?? 0,
  };
}
