/**
 * The Hapi auth scheme for a user's bearer token (the token auth's login issues), used by
 * `/graphql`: Hapi runs it before the body is read, so an anonymous request is refused (401)
 * without its body being read, parsed or inflated. Only the Authorization header counts: no
 * cookie, so a cross-site page cannot use a browser's session here.
 */
import Boom from '@hapi/boom';
import type Hapi from '@hapi/hapi';
import { bearerToken, TokenKeysUnavailableError, type TokenUser } from '@steadfast/commons';

export const USER_TOKEN = 'steadfast-user-token';

export interface UserCredentials {
  user: TokenUser;
  scope: string[];
}

export function registerUserTokenAuth(server: Hapi.Server, verify: (token: string) => Promise<TokenUser>): void {
  server.auth.scheme(USER_TOKEN, () => ({
    authenticate: async (request, h) => {
      const token = bearerToken(request.headers['authorization'] as string | undefined);
      if (!token) throw Boom.unauthorized('send Authorization: Bearer <token> (POST /auth/authenticate)', 'Bearer');
      try {
        const user = await verify(token);
        const credentials: UserCredentials = { user, scope: [...user.scopes] };
        return h.authenticated({ credentials });
      } catch (error) {
        if (error instanceof TokenKeysUnavailableError) throw Boom.serverUnavailable('the auth service is unavailable; retry shortly');
        throw Boom.unauthorized((error as Error).message.slice(0, 200), 'Bearer');
      }
    },
  }));
  server.auth.strategy(USER_TOKEN, USER_TOKEN);
}

/** The user a route authenticated with USER_TOKEN, if any. */
export const userOf = (request: Hapi.Request): TokenUser | undefined =>
  (request.auth.credentials as unknown as UserCredentials | null)?.user;
