/**
 * GraphQL over fetch, and the reading of its replies into answers (answers.ts). Reading is
 * pure (`submitAnswerOf`, `statusesAnswerOf`) and unit-tested; `post` only moves bytes.
 */
import { z } from 'zod';
import { RecordStatus, type SubmitAnswer, type TransientAnswer } from './answers.js';
import { parseRetryAfter } from './backoff.js';
import type { MutationName } from './drafts.js';

/** What came back from one POST: a reply with its HTTP status, or nothing at all. */
export type Reply =
  | { kind: 'network'; message: string }
  | { kind: 'http'; status: number; retryAfterMs?: number; body: unknown };

const GraphQLBody = z.object({
  data: z.record(z.string(), z.unknown()).nullish(),
  errors: z
    .array(z.object({ message: z.string(), extensions: z.object({ code: z.string().optional() }).loose().optional() }))
    .optional(),
});
type GraphQLBody = z.infer<typeof GraphQLBody>;

/** Codes meaning "this payload, as it is, will never be accepted": retrying cannot help. */
const REFUSED_CODES = new Set(['BAD_USER_INPUT', 'FORBIDDEN', 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'BAD_REQUEST']);

export interface PostOptions {
  url: string;
  query: string;
  variables: Record<string, unknown>;
  token: string;
  timeoutMs: number;
  correlationId?: string;
  fetch: typeof fetch;
}

export async function post(options: PostOptions): Promise<Reply> {
  try {
    const response = await options.fetch(new URL('/graphql', options.url), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${options.token}`,
        ...(options.correlationId ? { 'x-correlation-id': options.correlationId } : {}),
      },
      body: JSON.stringify({ query: options.query, variables: options.variables }),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
    return { kind: 'http', status: response.status, body, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  } catch (error) {
    // Offline, refused, reset, timed out: nothing is known about the write; it is sent again.
    return { kind: 'network', message: error instanceof Error ? error.message : String(error) };
  }
}

/** Failures every request shares: no reply, an expired token, an overloaded or failing server. */
function transientOf(reply: Reply, body: GraphQLBody | undefined): TransientAnswer | undefined {
  if (reply.kind === 'network') return { kind: 'transient', message: `no answer: ${reply.message.slice(0, 200)}` };
  const first = body?.errors?.[0];
  // The header, or the same figure in the error (RATE_LIMITED carries retryAfterSeconds) when a proxy dropped the header.
  const inError = first?.extensions?.['retryAfterSeconds'];
  const retryAfterMs = reply.retryAfterMs ?? (typeof inError === 'number' && inError >= 0 ? inError * 1_000 : undefined);
  const retryAfter = retryAfterMs === undefined ? {} : { retryAfterMs };
  if (reply.status === 401 || first?.extensions?.code === 'UNAUTHENTICATED') {
    return { kind: 'transient', unauthenticated: true, message: first?.message ?? 'HTTP 401' };
  }
  if (reply.status === 429 || reply.status >= 500) {
    return { kind: 'transient', message: first?.message ?? `HTTP ${reply.status}`, ...retryAfter };
  }
  if (!body) return { kind: 'transient', message: `HTTP ${reply.status} without a GraphQL answer`, ...retryAfter };
  return undefined;
}

/** The answer to a write mutation named `mutation`. */
export function submitAnswerOf(reply: Reply, mutation: MutationName): SubmitAnswer {
  if (reply.kind === 'http' && reply.status === 413) {
    return { kind: 'refused', code: 'PAYLOAD_TOO_LARGE', message: 'the submission is larger than the server accepts' };
  }
  const parsed = reply.kind === 'http' ? GraphQLBody.safeParse(reply.body) : undefined;
  const body = parsed?.success ? parsed.data : undefined;
  const transient = transientOf(reply, body);
  if (transient) return transient;
  const first = body?.errors?.[0];
  const code = first?.extensions?.code;
  if (code === 'IDEMPOTENCY_KEY_REUSED') return { kind: 'conflict', message: first?.message ?? code };
  if (code && REFUSED_CODES.has(code)) return { kind: 'refused', code, message: first?.message ?? code };
  if (first) return { kind: 'transient', message: first.message.slice(0, 300) };
  const created = body?.data?.[mutation];
  if (created !== undefined && created !== null) return { kind: 'queued' };
  return { kind: 'transient', message: `no ${mutation} in the answer` };
}

/** The answer to a status query: statuses in the order asked, "not supported", or a failure. */
export type StatusesAnswer =
  | { kind: 'statuses'; statuses: RecordStatus[] }
  /** The gateway has no such field (GRAPHQL_VALIDATION_FAILED): an older gateway. */
  | { kind: 'unsupported' }
  | TransientAnswer;

/** The answer to `fetchRecordStatuses` (field `field`, a list) or `fetchRecordStatus` (one). */
export function statusesAnswerOf(reply: Reply, field: string, draftIds: readonly string[]): StatusesAnswer {
  const parsed = reply.kind === 'http' ? GraphQLBody.safeParse(reply.body) : undefined;
  const body = parsed?.success ? parsed.data : undefined;
  const transient = transientOf(reply, body);
  if (transient) return transient;
  const first = body?.errors?.[0];
  if (first?.extensions?.code === 'GRAPHQL_VALIDATION_FAILED') return { kind: 'unsupported' };
  if (first) return { kind: 'transient', message: first.message.slice(0, 300) };
  const value = body?.data?.[field];
  const list = z.array(RecordStatus).safeParse(Array.isArray(value) ? value : [value]);
  if (!list.success) return { kind: 'transient', message: `unreadable ${field} answer` };
  const statuses = list.data;
  if (statuses.length !== draftIds.length || statuses.some((s, i) => s.draftId.toLowerCase() !== draftIds[i]?.toLowerCase())) {
    return { kind: 'transient', message: `${field} answered other drafts than asked` };
  }
  return { kind: 'statuses', statuses };
}

const CREATED = '{ draftId }';

/** The document of each write; corrections return the draftId itself. */
export function mutationDocument(mutation: MutationName): string {
  switch (mutation) {
    case 'createBirthRegistration':
      return `mutation($details: BirthRegistrationInput!) { createBirthRegistration(details: $details) ${CREATED} }`;
    case 'createDeathRegistration':
      return `mutation($details: DeathRegistrationInput!) { createDeathRegistration(details: $details) ${CREATED} }`;
    case 'createMarriageRegistration':
      return `mutation($details: MarriageRegistrationInput!) { createMarriageRegistration(details: $details) ${CREATED} }`;
    case 'requestRegistrationCorrection':
      return 'mutation($id: ID!, $details: CorrectionInput!) { requestRegistrationCorrection(id: $id, details: $details) }';
    case 'createBirthRegistrationCorrection':
      return 'mutation($id: ID!, $details: BirthRegistrationInput!) { createBirthRegistrationCorrection(id: $id, details: $details) }';
    case 'createDeathRegistrationCorrection':
      return 'mutation($id: ID!, $details: DeathRegistrationInput!) { createDeathRegistrationCorrection(id: $id, details: $details) }';
    case 'createMarriageRegistrationCorrection':
      return 'mutation($id: ID!, $details: MarriageRegistrationInput!) { createMarriageRegistrationCorrection(id: $id, details: $details) }';
  }
}

const STATUS_FIELDS = `
  __typename
  ... on RecordProcessing { draftId attempts step lastError }
  ... on RecordProcessed { draftId recordId trackingId registrationStatus registrationNumber }
  ... on RecordRejected { draftId reason code }
  ... on RecordUnknown { draftId }`;

export const STATUSES_QUERY = `query($draftIds: [ID!]!, $waitSeconds: Int) {
  fetchRecordStatuses(draftIds: $draftIds, waitSeconds: $waitSeconds) {${STATUS_FIELDS}
  }
}`;

export const STATUS_QUERY = `query($draftId: ID!, $waitSeconds: Int) {
  fetchRecordStatus(draftId: $draftId, waitSeconds: $waitSeconds) {${STATUS_FIELDS}
  }
}`;
