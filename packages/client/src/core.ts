/** What every entry exports: the client, the state machine and the stores that need no Node module. */
export { SteadfastClient, DraftExistsError, DraftNotDecidedError } from './client.js';
export type { ClientEvent, SteadfastClientOptions, SyncSummary } from './client.js';
export { afterStatus, afterSubmit } from './decide.js';
export type { RecordStatus, SubmitAnswer, TransientAnswer } from './answers.js';
export { backoffDelay, retryDelay, parseRetryAfter, DEFAULT_RETRY_POLICY } from './backoff.js';
export type { RetryPolicy } from './backoff.js';
export { CorruptDraftError, DRAFT_STATES, MUTATION_NAMES, TERMINAL_STATES, summaryOf } from './drafts.js';
export type { DraftPayload, DraftState, DraftStore, DraftSummary, MutationName, StoredDraft } from './drafts.js';
export { InvalidSubmissionError } from './payloads.js';
export { MemoryDraftStore } from './stores/memory-store.js';
export { IndexedDbDraftStore } from './stores/indexeddb-store.js';
