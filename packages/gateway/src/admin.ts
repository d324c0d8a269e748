/**
 * The admin side of the gateway, sysadmin only: Bull Board at `/admin/queues` (see and retry
 * jobs; a retried job resumes at the step that failed) and `/admin/alerts` (the alerts raised
 * for exhausted record jobs and dead-lettered events). Access needs `Authorization: Bearer <token>` carrying the sysadmin
 * scope: no or a bad token is 401, any other scope 403.
 */
import Boom from '@hapi/boom';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HapiAdapter } from '@bull-board/hapi';
import type Hapi from '@hapi/hapi';
import { bearerToken, TokenKeysUnavailableError, type Collections, type TokenUser } from '@steadfast/commons';
import type { Queue } from 'bullmq';

const STRATEGY = 'steadfast-token';
export const ADMIN_AUTH = { strategy: STRATEGY, access: { scope: 'sysadmin' } } as const;

/** A Hapi auth strategy over the same tokens GraphQL checks. */
export function registerTokenAuth(server: Hapi.Server, verify: (token: string) => Promise<TokenUser>): void {
  server.auth.scheme(STRATEGY, () => ({
    authenticate: async (request, h) => {
      const token = bearerToken(request.headers['authorization'] as string | undefined);
      if (!token) throw Boom.unauthorized('send Authorization: Bearer <sysadmin token>', 'Bearer');
      try {
        const user = await verify(token);
        return h.authenticated({ credentials: { user, scope: user.scopes } });
      } catch (error) {
        if (error instanceof TokenKeysUnavailableError) throw Boom.serverUnavailable(error.message);
        throw Boom.unauthorized((error as Error).message, 'Bearer');
      }
    },
  }));
  server.auth.strategy(STRATEGY, STRATEGY);
}

export async function mountAdmin(server: Hapi.Server, queues: Queue[], db: Collections): Promise<void> {
  const board = new HapiAdapter();
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter: board });
  board.setBasePath('/admin/queues');
  // Every Bull Board route (page, assets, API) gets the plugin options as its route options.
  await server.register({ plugin: board.registerPlugin(), options: { auth: ADMIN_AUTH } }, { routes: { prefix: '/admin/queues' } });

  server.route({
    method: 'GET',
    path: '/admin/alerts',
    options: { auth: ADMIN_AUTH },
    handler: async () => ({ alerts: await db.alerts.find({}, { sort: { createdAt: -1 }, limit: 200 }).toArray() }),
  });
}
