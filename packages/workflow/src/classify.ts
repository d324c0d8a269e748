/**
 * Which failures are worth retrying. A store that is unreachable, slow, overloaded or failing
 * (network errors, timeouts, 5xx, 408/429) may recover: retry with backoff. A store that
 * refuses the request itself (any other 4xx, a MongoDB validation error) will refuse it again:
 * fail the job at once so an admin sees it, instead of spending hours of retries.
 */
import { InternalTokenRefused } from '@steadfast/commons';

const RETRYABLE_HTTP = new Set([408, 409, 425, 429]);
/** MongoDB server errors that are about the request, not the server's health. */
const PERMANENT_MONGO_CODES = new Set([2, 9, 14, 52, 53, 121]); // BadValue, FailedToParse, TypeMismatch, Dollar(Prefixed)FieldName, DocumentValidationFailure

export function isRetryable(error: unknown): boolean {
  const e = error as { name?: string; meta?: { statusCode?: number }; code?: unknown; errorLabels?: string[] };
  // @elastic/elasticsearch ResponseError: the server answered with a status.
  const status = e.meta?.statusCode;
  if (e.name === 'ResponseError' && typeof status === 'number') {
    return status >= 500 || RETRYABLE_HTTP.has(status);
  }
  if (e.name === 'MongoServerError' && typeof e.code === 'number') return !PERMANENT_MONGO_CODES.has(e.code);
  // Auth refusing an internal token (a user disabled before the work was accepted): it will refuse again.
  if (error instanceof InternalTokenRefused) return !error.permanent;
  // MinIO S3Error codes for a request the server will always refuse.
  if (e.name === 'S3Error' && typeof e.code === 'string') {
    return !['InvalidArgument', 'InvalidBucketName', 'EntityTooLarge', 'AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch'].includes(e.code);
  }
  return true;
}
