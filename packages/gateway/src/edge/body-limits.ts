/**
 * How much body `/graphql` reads, decided before reading it (house style 15: size before parse,
 * caller before body). Anonymous callers never get this far (the route's auth refuses them
 * first). A caller who may submit gets the attachment limit; anyone else the small one. A body
 * larger than the small limit must be a mutation (status queries are small): checked once the
 * JSON is parsed, before the operation runs. A compressed body is refused unread: its inflated
 * size cannot be known in advance, and a 490 KB gzip can inflate to 70 MB.
 */
import { Kind, OperationTypeNode, parse, type DocumentNode, type OperationDefinitionNode } from 'graphql';

export const SUBMITTING_SCOPES = ['declare', 'validate', 'register', 'correct'] as const;

export interface BodyLimits {
  /** Bytes for a caller who cannot submit, and for any query. */
  small: number;
  /** Bytes for a submission with attachments. */
  large: number;
}

export type HeadVerdict = { ok: true } | { ok: false; status: 411 | 413 | 415; code: string; message: string };

export const bodyLimitFor = (scopes: readonly string[], limits: BodyLimits): number =>
  SUBMITTING_SCOPES.some((s) => scopes.includes(s)) ? limits.large : limits.small;

/** What the request's headers alone decide, before a byte of the body is read. */
export function checkHead(head: { contentEncoding?: string; contentLength?: string; method: string }, limit: number): HeadVerdict {
  const encoding = head.contentEncoding?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') {
    return {
      ok: false,
      status: 415,
      code: 'UNSUPPORTED_CONTENT_ENCODING',
      message: `Content-Encoding ${encoding.slice(0, 20)} is not accepted on requests: send the body uncompressed`,
    };
  }
  if (head.method !== 'post') return { ok: true };
  if (head.contentLength === undefined) {
    return { ok: false, status: 411, code: 'LENGTH_REQUIRED', message: 'send a Content-Length with the body' };
  }
  const length = Number(head.contentLength);
  if (!Number.isSafeInteger(length) || length < 0) {
    return { ok: false, status: 411, code: 'LENGTH_REQUIRED', message: 'Content-Length must be a number of bytes' };
  }
  if (length > limit) return tooLarge(limit);
  return { ok: true };
}

export const tooLarge = (limit: number, what = 'this request'): HeadVerdict & { ok: false } => ({
  ok: false,
  status: 413,
  code: 'PAYLOAD_TOO_LARGE',
  message: `the body of ${what} may be at most ${limit} bytes`,
});

/**
 * Whether the operation a body asks for is a mutation. The document is parsed with a token cap
 * (documents are short; the size of a submission is in its variables), so this costs little.
 */
export function isMutation(query: unknown, operationName: unknown, maxTokens: number): boolean {
  if (typeof query !== 'string') return false;
  let document: DocumentNode;
  try {
    document = parse(query, { noLocation: true, maxTokens });
  } catch {
    return false;
  }
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const chosen = typeof operationName === 'string' ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  return chosen?.operation === OperationTypeNode.MUTATION;
}
