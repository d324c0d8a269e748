/**
 * Unexpected errors in GraphQL operations: a resolver that threw something other than the
 * gateway's own client errors (a bug, or a failure nobody mapped to one). Left to Apollo, such an
 * error reaches the client as INTERNAL_SERVER_ERROR with its own message, whatever internal
 * detail that holds, and reaches no operator: Apollo logs nothing. This plugin logs each one with
 * the request's correlation id, hands it to `report` (Sentry, when configured), and answers the
 * client with a fixed message that names the correlation id. Only the error's name and first
 * line go anywhere: store errors quote the values they refused on later lines, and those may be
 * personal data.
 */
import type * as ApolloCjs from '@apollo/server' with { 'resolution-mode': 'require' };
import { GraphQLError } from 'graphql';
import { boundMessage, errorLine, type Logger, type Sentry } from '@steadfast/commons';

export interface UnexpectedError {
  name: string;
  /** The first line of the error's message, capped. */
  message: string;
  operationName: string | null;
  /** The field that failed, e.g. `createBirthRegistration`. */
  path: string | null;
  correlationId: string;
}

export type ReportUnexpected = (error: UnexpectedError) => void;

/** Thrown by a resolver as something other than a GraphQLError, and given no client code. */
export function isUnexpected(error: GraphQLError): boolean {
  const original = error.originalError;
  if (!original || original instanceof GraphQLError || original.name === 'GraphQLError') return false;
  const code = error.extensions['code'];
  return code === undefined || code === 'INTERNAL_SERVER_ERROR';
}

export const internalErrorMessage = (correlationId: string): string =>
  `Internal error (correlation id ${correlationId}); it has been reported. Retrying with the same draftId is safe.`;

export function unexpectedErrors<C extends { correlationId: string }>(logger: Logger, report?: ReportUnexpected): ApolloCjs.ApolloServerPlugin<C> {
  return {
    requestDidStart: () =>
      Promise.resolve({
        didEncounterErrors: ({ errors, contextValue, operationName }) => {
          for (const error of errors) {
            if (!isUnexpected(error)) continue;
            const unexpected: UnexpectedError = {
              name: error.originalError?.name ?? 'Error',
              message: errorLine(error.message),
              operationName: operationName ?? null,
              path: error.path?.join('.') ?? null,
              correlationId: contextValue.correlationId,
            };
            logger.error(unexpected, 'unexpected error in a GraphQL operation');
            report?.(unexpected);
          }
          return Promise.resolve();
        },
        willSendResponse: ({ response, contextValue }) => {
          if (response.body.kind !== 'single') return Promise.resolve();
          const result = response.body.singleResult;
          // Every other error is bounded (commons' boundMessage): graphql-js quotes a refused
          // value whole ("Value \"<2 MB>\" does not exist in \"AttachmentType\" enum"), twice.
          result.errors = result.errors?.map((error) =>
            error.extensions?.['code'] === 'INTERNAL_SERVER_ERROR'
              ? { ...error, message: internalErrorMessage(contextValue.correlationId), extensions: { code: 'INTERNAL_SERVER_ERROR', correlationId: contextValue.correlationId } }
              : { ...error, message: boundMessage(error.message) },
          );
          return Promise.resolve();
        },
      }),
  };
}

/** Sends each unexpected error to Sentry as an event of its own kind, per error name and field. */
export function sentryReporter(sentry: Sentry, service: string): ReportUnexpected {
  return (unexpected) => {
    const error = new Error(unexpected.message);
    error.name = unexpected.name;
    sentry.captureException(error, {
      captureContext: {
        level: 'error',
        tags: { service, operation: unexpected.operationName ?? 'unknown', path: unexpected.path ?? 'none' },
        extra: { correlationId: unexpected.correlationId },
        fingerprint: [`${service}-unexpected`, unexpected.name, unexpected.path ?? 'none'],
      },
    });
  };
}
