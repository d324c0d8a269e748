/**
 * The reference country config: accepts records for external validation and calls back.
 * Internal only: bound to loopback, reached through the gateway's public routes.
 */
import { createServiceServer, type Logger } from '@steadfast/commons';
import type Hapi from '@hapi/hapi';
import type { Environment } from './environment.js';

export async function createCountryConfigServer(env: Environment, logger: Logger): Promise<Hapi.Server> {
  return createServiceServer({
    name: 'config',
    host: env.COUNTRY_CONFIG_HOST,
    port: env.COUNTRY_CONFIG_PORT,
    logger,
  });
}
