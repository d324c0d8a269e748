/**
 * The HTTP edge of `/graphql`, in Hapi's lifecycle order:
 * 1. onPreAuth: a compressed body is refused unread (415);
 * 2. auth (USER_TOKEN): no valid token, 401 — the body is never read;
 * 3. still inside auth (the route's `admit`): Content-Length against the caller's limit (413),
 *    before the body is read (Hapi's onCredentials would run after it);
 * 4. the body is read, within the route's maxBytes (the largest limit) and timeout (408);
 * 5. onPreHandler: a body over the small limit must be a mutation (413);
 * 6. onPreResponse: Hapi's own refusals are answered in GraphQL's shape, with
 *    `extensions.code`, keeping their status and Retry-After / WWW-Authenticate.
 */
import Boom from '@hapi/boom';
import type * as Hapi from '@hapi/hapi';
import { bodyLimitFor, checkHead, isMutation, tooLarge, type BodyLimits, type HeadVerdict } from './body-limits.js';
import { USER_TOKEN, type Admit } from './user-auth.js';

export interface GraphqlEdgeOptions {
  limits: BodyLimits;
  /** How long a client may take to send its body. */
  bodyTimeoutMs: number;
  /** Token cap for the quick look at a large body's operation. */
  maxTokens: number;
}

const CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  408: 'REQUEST_TIMEOUT',
  411: 'LENGTH_REQUIRED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

const refusal = (verdict: HeadVerdict & { ok: false }) => new Boom.Boom(verdict.message, { statusCode: verdict.status, data: { code: verdict.code } });

const header = (request: Hapi.Request, name: string): string | undefined => {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
};

/** Route options for the GET and POST routes of `/graphql`. */
export function graphqlRouteOptions(options: GraphqlEdgeOptions, method: 'get' | 'post'): Hapi.RouteOptions<Hapi.ReqRef> {
  const { limits } = options;
  const admit: Admit = (request, user) => {
    const verdict = checkHead({ contentLength: header(request, 'content-length'), method: request.method }, bodyLimitFor(user.scopes, limits));
    return verdict.ok ? undefined : refusal(verdict);
  };
  return {
    plugins: { admit },
    auth: { strategy: USER_TOKEN, mode: 'required' },
    // A long-poll holds its request up to 30 s with no byte sent: no server timeout and no
    // idle-socket timeout may cut it; the body's own reading time is bounded by payload.timeout.
    timeout: { server: false, socket: false },
    ...(method === 'post' ? { payload: { maxBytes: Math.max(limits.small, limits.large), timeout: options.bodyTimeoutMs } } : {}),
    ext: {
      onPreAuth: {
        method: (request, h) => {
          const verdict = checkHead({ contentEncoding: header(request, 'content-encoding'), method: 'get' }, 0);
          if (!verdict.ok) throw refusal(verdict);
          return h.continue;
        },
      },
      onPreHandler: {
        method: (request, h) => {
          if (request.method !== 'post' || Number(header(request, 'content-length') ?? 0) <= limits.small) return h.continue;
          const body = request.payload as { query?: unknown; operationName?: unknown } | null;
          if (!isMutation(body?.query, body?.operationName, options.maxTokens)) throw refusal(tooLarge(limits.small, 'a query'));
          return h.continue;
        },
      },
      onPreResponse: {
        method: (request, h) => {
          const response = request.response;
          if (!Boom.isBoom(response)) return h.continue;
          const status = response.output.statusCode;
          const data = response.data as { code?: unknown } | null;
          const code = typeof data?.code === 'string' ? data.code : (CODES[status] ?? (status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST'));
          const message = status >= 500 && status !== 503 ? 'Internal server error' : response.message;
          const reply = h.response({ errors: [{ message, extensions: { code } }] }).code(status);
          for (const [name, value] of Object.entries(response.output.headers)) {
            if (value !== undefined) reply.header(name, String(value));
          }
          return reply;
        },
      },
    },
  };
}
