/**
 * The gateway's client-facing errors: GraphQL errors with a stable `extensions.code`, and for
 * bad input the field and the rule each problem broke.
 */
import { GraphQLError } from 'graphql';

export interface InputIssue {
  field: string;
  rule: string;
  message: string;
}

export function badInput(issues: InputIssue[]): GraphQLError {
  const summary = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
  const first = issues[0];
  return new GraphQLError(`Invalid input. ${summary}`, {
    extensions: { code: 'BAD_USER_INPUT', ...(first ? { field: first.field, rule: first.rule } : {}), issues },
  });
}

export const unauthenticated = (why: string): GraphQLError =>
  new GraphQLError(`Not authenticated: ${why}`, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });

export const forbidden = (why: string): GraphQLError =>
  new GraphQLError(`Not allowed: ${why}`, { extensions: { code: 'FORBIDDEN', http: { status: 403 } } });

export const idempotencyKeyReused = (draftId: string): GraphQLError =>
  new GraphQLError(
    `draftId ${draftId} was already used for a different submission. Use a new draftId for a new submission; ` +
      'resend the original payload unchanged to retry it.',
    { extensions: { code: 'IDEMPOTENCY_KEY_REUSED', draftId } },
  );

/** A store the request needs is unreachable: nothing was changed, the client should retry. */
export const unavailable = (what: string): GraphQLError =>
  new GraphQLError(`Temporarily unavailable: ${what}. Nothing was changed; retry later with the same draftId.`, {
    extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true, http: { status: 503 } },
  });
