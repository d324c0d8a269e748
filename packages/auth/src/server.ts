/**
 * Auth: login and user tokens. Internal only (bound to loopback); the gateway exposes
 * `POST /auth/authenticate` and nothing else of it. `/.well-known/jwks.json` publishes the
 * public key every service verifies tokens with.
 */
import {
  createMongo,
  createServiceServer,
  mongoCheck,
  onceSucceeded,
  storeConfigFrom,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  type Logger,
} from '@steadfast/commons';
import type Hapi from '@hapi/hapi';
import { SignJWT } from 'jose';
import { z } from 'zod';
import { seedsDemoUsers, type Environment } from './environment.js';
import { loadSigningKey } from './keys.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { UserDirectory, type UserDocument } from './users.js';

const Credentials = z.strictObject({
  username: z.string().trim().min(1, 'required').max(100, 'at most 100 characters'),
  password: z.string().min(1, 'required').max(200, 'at most 200 characters'),
});

export interface AuthService {
  server: Hapi.Server;
  directory: UserDirectory;
  close(): Promise<void>;
}

export async function createAuth(env: Environment, logger: Logger): Promise<AuthService> {
  const stores = storeConfigFrom(env);
  const mongo = createMongo(stores.mongo);
  const directory = new UserDirectory(mongo.db(stores.mongo.dbName));
  const key = await loadSigningKey(env);
  // Compared against when the username is unknown, so both failures take the same time.
  const dummyHash = await hashPassword('not a real password');
  const prepare = onceSucceeded(async () => {
    await directory.ensureIndexes();
    if (seedsDemoUsers(env)) await directory.seedDemoUsers();
  });
  prepare().catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'user directory not ready yet'));

  const server = await createServiceServer({
    name: 'auth',
    host: env.AUTH_HOST,
    port: env.AUTH_PORT,
    logger,
    checks: { mongo: mongoCheck(mongo, stores.mongo.dbName) },
  });

  server.route({
    method: 'GET',
    path: '/.well-known/jwks.json',
    handler: () => ({ keys: [key.jwk] }),
  });

  server.route({
    method: 'POST',
    path: '/auth/authenticate',
    options: { payload: { maxBytes: 16 * 1024 } },
    handler: async (request, h) => {
      const parsed = Credentials.safeParse(request.payload ?? {});
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
        return h.response({ error: 'invalid login request', issues }).code(400);
      }
      const { username, password } = parsed.data;
      let user: UserDocument | null;
      try {
        await prepare();
        user = await directory.findByUsername(username);
      } catch (error) {
        logger.warn({ err: (error as Error).message }, 'login failed: user directory unreachable');
        return h.response({ error: 'login is unavailable; try again shortly' }).code(503);
      }
      const ok = await verifyPassword(password, user?.passwordHash ?? dummyHash);
      if (!user || !ok) {
        logger.info({ username }, 'login failed');
        return h.response({ error: 'unknown username or wrong password' }).code(401);
      }
      const token = await new SignJWT({ scope: user.scopes, name: user.name })
        .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
        .setSubject(user._id)
        .setIssuer(TOKEN_ISSUER)
        .setAudience(TOKEN_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(`${env.AUTH_TOKEN_TTL_SECONDS}s`)
        .sign(key.privateKey);
      logger.info({ username, userId: user._id }, 'login');
      return h.response({ token }).header('cache-control', 'no-store');
    },
  });

  return {
    server,
    directory,
    async close() {
      await server.stop({ timeout: 10_000 });
      await mongo.close();
    },
  };
}
