/**
 * Hapi auth schemes, one per kind of caller (house style 12): a route names its strategy and the
 * scope it needs (`options.auth: { strategy, access: { scope } }`), and no handler reads an
 * Authorization header itself.
 *
 * - `service-credential`: another Steadfast service, proving itself with a shared secret
 *   (`Authorization: Bearer <secret>`), compared in constant time. Each strategy is one caller
 *   (the workflow at auth, the country config at the workflow) and grants that caller's scopes.
 * - `steadfast-token`: a token signed by auth, of the kind its verifier checks (user or
 *   narrowed); the credentials carry the user and the token's scopes.
 */
import Boom from '@hapi/boom';
import type Hapi from '@hapi/hapi';
import { bearerToken, credentialMatches, TokenKeysUnavailableError, type TokenUser } from './auth.js';

const SERVICE_SCHEME = 'service-credential';
const TOKEN_SCHEME = 'steadfast-token';

interface ServiceCredentialOptions {
  /** Who the caller is, for logs and `request.auth.credentials.service`. */
  service: string;
  secret: string;
  /** What this caller may do; routes ask for one with `access.scope`. */
  scope: readonly string[];
}

interface TokenStrategyOptions {
  verify: (token: string) => Promise<TokenUser>;
}

/** The servers (by their auth object, shared by every plugin realm) each scheme is on. */
const registered = new Map<string, WeakSet<object>>();

function ensureScheme(server: Hapi.Server, name: string, scheme: Hapi.ServerAuthScheme): void {
  // A scheme is registered once per server; each caller adds a strategy of its own.
  const servers = registered.get(name) ?? new WeakSet<object>();
  registered.set(name, servers);
  if (servers.has(server.auth)) return;
  server.auth.scheme(name, scheme);
  servers.add(server.auth);
}

const serviceScheme: Hapi.ServerAuthScheme = (_server, options) => {
  const { service, secret, scope } = options as ServiceCredentialOptions;
  return {
    authenticate: (request, h) => {
      const presented = bearerToken(request.headers['authorization'] as string | undefined);
      if (!presented) throw Boom.unauthorized(`send Authorization: Bearer <the ${service} credential>`, 'Bearer');
      if (!credentialMatches(presented, secret)) throw Boom.unauthorized(`not the ${service} credential`, 'Bearer');
      return h.authenticated({ credentials: { service, scope: [...scope] } });
    },
  };
};

const tokenScheme: Hapi.ServerAuthScheme = (_server, options) => {
  const { verify } = options as TokenStrategyOptions;
  return {
    authenticate: async (request, h) => {
      const token = bearerToken(request.headers['authorization'] as string | undefined);
      if (!token) throw Boom.unauthorized('send Authorization: Bearer <token>', 'Bearer');
      let user: TokenUser;
      try {
        user = await verify(token);
      } catch (error) {
        if (error instanceof TokenKeysUnavailableError) throw Boom.serverUnavailable(error.message);
        throw Boom.unauthorized((error as Error).message, 'Bearer');
      }
      return h.authenticated({ credentials: { user, scope: user.scopes } });
    },
  };
};

/** A strategy named `strategy` for one calling service that proves itself with `secret`. */
export function registerServiceCredential(server: Hapi.Server, strategy: string, options: ServiceCredentialOptions): void {
  ensureScheme(server, SERVICE_SCHEME, serviceScheme);
  server.auth.strategy(strategy, SERVICE_SCHEME, options);
}

/** A strategy named `strategy` for callers presenting a token `verify` accepts. */
export function registerTokenStrategy(server: Hapi.Server, strategy: string, options: TokenStrategyOptions): void {
  ensureScheme(server, TOKEN_SCHEME, tokenScheme);
  server.auth.strategy(strategy, TOKEN_SCHEME, options);
}

/** The user of a request authenticated by a token strategy. */
export function tokenUserOf(request: Hapi.Request): TokenUser {
  const user = (request.auth.credentials as { user?: TokenUser }).user;
  if (!user) throw new Error('this route is not authenticated by a token strategy');
  return user;
}
