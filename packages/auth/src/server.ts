/**
 * Auth: login and user tokens; internal token minting for a user id.
 * Internal only: bound to loopback, reached through the gateway's public routes.
 */
import { createServiceServer, type Logger } from '@steadfast/commons';
import type Hapi from '@hapi/hapi';
import type { Environment } from './environment.js';

export async function createAuthServer(env: Environment, logger: Logger): Promise<Hapi.Server> {
  return createServiceServer({
    name: 'auth',
    host: env.AUTH_HOST,
    port: env.AUTH_PORT,
    logger,
  });
}
