/**
 * What the gateway answered, reduced to what the client decides on. The transport turns HTTP
 * and GraphQL replies into these; the decisions (decide.ts) take them as plain data.
 */
import { z } from 'zod';

/** The answer to one write mutation. */
export type SubmitAnswer =
  /** Durably queued under its draftId (or already processed: a repeat). */
  | { kind: 'queued' }
  /** IDEMPOTENCY_KEY_REUSED: this draftId was used with another payload. */
  | { kind: 'conflict'; message: string }
  /** The server refused the payload itself (BAD_USER_INPUT, FORBIDDEN, too large): sending it again cannot help. */
  | { kind: 'refused'; code: string; message: string }
  | TransientAnswer;

/** A failure worth trying again: no answer, 429, 5xx, SERVICE_UNAVAILABLE, an expired token. */
export interface TransientAnswer {
  kind: 'transient';
  message: string;
  /** The token was refused (HTTP 401 / UNAUTHENTICATED): ask the token provider for a new one. */
  unauthenticated?: boolean;
  /** From a Retry-After header on 429/503. */
  retryAfterMs?: number;
}

/** One `RecordStatus` of CONTRACT.md; the fields the client keeps, checked. */
export const RecordStatus = z.discriminatedUnion('__typename', [
  z.object({
    __typename: z.literal('RecordProcessing'),
    draftId: z.string(),
    attempts: z.number().int().nonnegative().optional(),
    step: z.string().optional(),
    lastError: z.string().nullish(),
  }),
  z.object({
    __typename: z.literal('RecordProcessed'),
    draftId: z.string(),
    recordId: z.string(),
    trackingId: z.string(),
    registrationStatus: z.string(),
    registrationNumber: z.string().nullish(),
  }),
  z.object({
    __typename: z.literal('RecordRejected'),
    draftId: z.string(),
    reason: z.string(),
    code: z.string().nullish(),
  }),
  z.object({ __typename: z.literal('RecordUnknown'), draftId: z.string() }),
]);
export type RecordStatus = z.infer<typeof RecordStatus>;
