/**
 * Small facts about an admin request that several routes need: its correlation id, whether it
 * asks for JSON or a page, where a login may send the browser next.
 */
import Accept from '@hapi/accept';
import type Hapi from '@hapi/hapi';

/** The request's correlation id (set by the console's onRequest step when the client sent none). */
export const correlationIdOf = (request: Hapi.Request): string => {
  const header = request.headers['x-correlation-id'];
  return typeof header === 'string' ? header : request.info.id;
};

/** A script's request (JSON) rather than a browser's (a page): by Accept, a page when undecided. */
export const wantsJson = (request: Hapi.Request): boolean =>
  Accept.mediaType(request.headers['accept'] as string | undefined, ['text/html', 'application/json']) === 'application/json';

export const DEFAULT_PAGE = '/admin/queues';

/**
 * Where to go after logging in: a page of the console named by `next`, else the board. Anything
 * else (another site, `//host`, a backslash trick, the login page itself) goes to the board, so
 * the login page cannot be used to bounce a user elsewhere.
 */
export function safeNext(next: string | undefined): string {
  if (!next || next.length > 500) return DEFAULT_PAGE;
  if (!/^\/admin(\/[\w\-.~%!$&'()*+,;=:@/?]*)?$/.test(next)) return DEFAULT_PAGE;
  if (next.includes('//') || /^\/admin\/(login|logout)\b/.test(next)) return DEFAULT_PAGE;
  return next;
}

/** The headers of every page of the console of its own: no framing, no inline code, no caching. */
export const PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'cache-control': 'no-store',
} as const;

export function pageResponse(h: Hapi.ResponseToolkit, body: string, code = 200): Hapi.ResponseObject {
  const response = h.response(body).type('text/html; charset=utf-8').code(code);
  for (const [name, value] of Object.entries(PAGE_HEADERS)) response.header(name, value);
  return response;
}
