/**
 * The draft state machine as pure functions: the next draft from (draft, answer). The client
 * around them only reads, sends and writes. pending → queued → processed | rejected | conflict;
 * queued → pending when the server no longer knows the draft (its acknowledgement was lost).
 */
import type { RecordStatus, SubmitAnswer } from './answers.js';
import { TERMINAL_STATES, type StoredDraft } from './drafts.js';

/** After a write of `draft` was sent (or tried): counts the attempt and applies the answer. */
export function afterSubmit(draft: StoredDraft, answer: SubmitAnswer, now: string): StoredDraft {
  if (draft.state !== 'pending') return draft;
  const sent = { ...draft, attempts: draft.attempts + 1, updatedAt: now };
  switch (answer.kind) {
    case 'queued':
      return withoutError({ ...sent, state: 'queued' });
    case 'conflict':
      // Kept with its payload: the user decides (a new draftId, or give it up). Never dropped.
      return withoutError({ ...sent, state: 'conflict', code: 'IDEMPOTENCY_KEY_REUSED', reason: answer.message });
    case 'refused':
      return withoutError({ ...sent, state: 'rejected', code: answer.code, reason: answer.message });
    case 'transient':
      return { ...sent, lastError: answer.message };
  }
}

/** After the server answered the status of `draft`. A terminal draft never changes again. */
export function afterStatus(draft: StoredDraft, status: RecordStatus, now: string): StoredDraft {
  if (TERMINAL_STATES.has(draft.state)) return draft;
  switch (status.__typename) {
    case 'RecordProcessed': {
      // The one place the payload goes: in the same write that keeps the outcome.
      const kept = { ...draft };
      delete kept.payload;
      return withoutError({
        ...kept,
        state: 'processed',
        recordId: status.recordId,
        trackingId: status.trackingId,
        registrationStatus: status.registrationStatus,
        ...(status.registrationNumber ? { registrationNumber: status.registrationNumber } : {}),
        updatedAt: now,
      });
    }
    case 'RecordRejected':
      return withoutError({
        ...draft,
        state: 'rejected',
        reason: status.reason,
        ...(status.code ? { code: status.code } : {}),
        updatedAt: now,
      });
    case 'RecordUnknown':
      // Queued, yet never received: the acknowledgement was lost (e.g. a Redis failover). Send again.
      return draft.state === 'queued' ? { ...draft, state: 'pending', updatedAt: now } : draft;
    case 'RecordProcessing': {
      // A pending draft the server has: it was sent before (the answer was lost). No need to resend.
      const lastError = status.lastError ?? undefined;
      if (draft.state === 'pending') return { ...withoutError(draft), state: 'queued', updatedAt: now };
      if (lastError === draft.lastError) return draft;
      return lastError === undefined ? { ...withoutError(draft), updatedAt: now } : { ...draft, lastError, updatedAt: now };
    }
  }
}

function withoutError(draft: StoredDraft): StoredDraft {
  const rest = { ...draft };
  delete rest.lastError;
  return rest;
}
