/**
 * The Hapi auth scheme for a user's bearer token (the token auth's login issues), used by
 * `/graphql`: Hapi runs it before the body is read, so an anonymous request is refused (401)
 * without its body being read, parsed or inflated. Only the Authorization header counts: no
 * cookie, so a cross-site page cannot use a browser's session here.
 *
 * A route may add its own check of the caller against the request head, run right after the
 * token is verified and still before the body is read (Hapi runs onCredentials only after the
 * payload): `options.plugins.admit = (request, user) => Boom | undefined`.
 */
import Boom from '@hapi/boom';
import type Hapi from '@hapi/hapi';
import { bearerToken, TokenKeysUnavailableError, type TokenUser } from '@steadfast/commons';

export const USER_TOKEN = 'steadfast-user-token';

export type Admit = (request: Hapi.Request, user: TokenUser) => Boom.Boom | undefined;

declare module '@hapi/hapi' {
  interface PluginSpecificConfiguration {
    /** A route's own check of an authenticated caller before its body is read (see above). */
    admit?: Admit;
  }
}

export interface UserCredentials {
  user: TokenUser;
  scope: string[];
}

export function registerUserTokenAuth(server: Hapi.Server, verify: (token: string) => Promise<TokenUser>): void {
  server.auth.scheme(USER_TOKEN, () => ({
    authenticate: async (request, h) => {
      const token = bearerToken(request.headers['authorization'] as string | undefined);
      if (!token) throw Boom.unauthorized('send Authorization: Bearer <token> (POST /auth/authenticate)', 'Bearer');
      let user: TokenUser;
      try {
        user = await verify(token);
      } catch (error) {
        if (error instanceof TokenKeysUnavailableError) throw Boom.serverUnavailable('the auth service is unavailable; retry shortly');
        throw Boom.unauthorized((error as Error).message.slice(0, 200), 'Bearer');
      }
      const admit = request.route.settings.plugins?.admit;
      const refused = admit?.(request, user);
      if (refused) throw refused;
      const credentials: UserCredentials = { user, scope: [...user.scopes] };
      return h.authenticated({ credentials });
    },
  }));
  server.auth.strategy(USER_TOKEN, USER_TOKEN);
}

/** The user a route authenticated with USER_TOKEN, if any. */
export const userOf = (request: Hapi.Request): TokenUser | undefined =>
  (request.auth.credentials as unknown as UserCredentials | null)?.user;
