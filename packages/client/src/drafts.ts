/**
 * What the client keeps per draft, as one plain object a store can write in one piece: the
 * draft's state, the payload until its RecordProcessed, and the outcome after it. The zod
 * schema is the type, and checks every draft a store hands back (a file edited by hand, an
 * IndexedDB written by an older version).
 */
import { z } from 'zod';

/** The seven write mutations of CONTRACT.md, by name. */
export const MUTATION_NAMES = [
  'createBirthRegistration',
  'createDeathRegistration',
  'createMarriageRegistration',
  'requestRegistrationCorrection',
  'createBirthRegistrationCorrection',
  'createDeathRegistrationCorrection',
  'createMarriageRegistrationCorrection',
] as const;
export const MutationName = z.enum(MUTATION_NAMES);
export type MutationName = z.infer<typeof MutationName>;

export const DRAFT_STATES = ['pending', 'queued', 'processed', 'rejected', 'conflict'] as const;
export const DraftState = z.enum(DRAFT_STATES);
export type DraftState = z.infer<typeof DraftState>;

/** States the client never leaves by itself: the draft is done, or waits for its user. */
export const TERMINAL_STATES: ReadonlySet<DraftState> = new Set(['processed', 'rejected', 'conflict']);

/** The GraphQL variables of the write: `{ details }`, or `{ id, details }` for a correction. */
export const DraftPayload = z.object({
  id: z.string().min(1).optional(),
  details: z.record(z.string(), z.unknown()),
});
export type DraftPayload = z.infer<typeof DraftPayload>;

export const StoredDraft = z.object({
  draftId: z.string().min(1),
  mutation: MutationName,
  state: DraftState,
  /** Present until RecordProcessed; then purged, in the same write that records the outcome. */
  payload: DraftPayload.optional(),
  /** How many times the write was sent. */
  attempts: z.number().int().nonnegative(),
  recordId: z.string().optional(),
  trackingId: z.string().optional(),
  registrationStatus: z.string().optional(),
  registrationNumber: z.string().optional(),
  /** Why it was rejected or is in conflict: the server's message. */
  reason: z.string().optional(),
  /** The server's code for a rejection or conflict (e.g. IDEMPOTENCY_KEY_REUSED, BAD_USER_INPUT). */
  code: z.string().optional(),
  /** The last transient failure (network, 503, …), for display; cleared on progress. */
  lastError: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type StoredDraft = z.infer<typeof StoredDraft>;

/** What `drafts()` answers: a draft without its payload (CONTRACT.md, "Client library"). */
export interface DraftSummary {
  draftId: string;
  mutation: MutationName;
  state: DraftState;
  recordId?: string;
  trackingId?: string;
  registrationStatus?: string;
  registrationNumber?: string;
  reason?: string;
  code?: string;
  lastError?: string;
  attempts: number;
  /** False once the payload was purged (after RecordProcessed). */
  hasPayload: boolean;
  createdAt: string;
  updatedAt: string;
}

export function summaryOf(draft: StoredDraft): DraftSummary {
  const { payload, ...rest } = draft;
  return { ...rest, hasPayload: payload !== undefined };
}

/** Where drafts live. Each `put` replaces the whole draft atomically: all of it or none. */
export interface DraftStore {
  put(draft: StoredDraft): Promise<void>;
  get(draftId: string): Promise<StoredDraft | undefined>;
  list(): Promise<StoredDraft[]>;
  /** Only on a user's explicit request (e.g. giving up a conflict); the client never deletes. */
  delete(draftId: string): Promise<void>;
}

/** A stored draft that does not read back as one: the store is damaged, nothing is dropped silently. */
export class CorruptDraftError extends Error {
  constructor(where: string, why: string) {
    super(`stored draft ${where} is unreadable: ${why.slice(0, 200)}`);
    this.name = 'CorruptDraftError';
  }
}

/** Parses what a store read back; a damaged draft is an error naming where it was. */
export function parseStoredDraft(value: unknown, where: string): StoredDraft {
  const parsed = StoredDraft.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CorruptDraftError(where, issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid');
  }
  return parsed.data;
}
