/**
 * Auth: login and user tokens. Internal only (bound to loopback); the gateway exposes
 * `POST /auth/authenticate` and nothing else of it. `/.well-known/jwks.json` publishes the
 * public key every service verifies tokens with.
 */
import {
  bearerToken,
  createMongo,
  createServiceServer,
  invalidPayload,
  mongoCheck,
  onceSucceeded,
  SCOPES,
  storeConfigFrom,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  verifyToken,
  type Logger,
  type TokenUser,
} from '@steadfast/commons';
import type Hapi from '@hapi/hapi';
import { createLocalJWKSet, SignJWT } from 'jose';
import { z } from 'zod';
import { seedsDemoUsers, type Environment } from './environment.js';
import { loadSigningKey } from './keys.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { UnknownUserError, UserDirectory, type UserDocument } from './users.js';

const TokenRequest = z.strictObject({
  userId: z.string().min(1),
  recordId: z.string().min(1),
  action: z.enum(SCOPES),
});

const UserChange = z
  .strictObject({
    name: z.string().trim().min(1, 'must not be empty').max(200, 'at most 200 characters').optional(),
    office: z.string().trim().min(1, 'must not be empty').max(200, 'at most 200 characters').optional(),
  })
  .refine((change) => change.name !== undefined || change.office !== undefined, { message: 'give name, office or both' });

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
    const backfilled = await directory.backfillEvents();
    if (backfilled > 0) logger.info({ users: backfilled }, 'user events written for users that had none');
  });
  prepare().catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'user directory not ready yet'));

  const sign = ({ sub, ...claims }: { sub: string } & Record<string, unknown>, ttlSeconds: number) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
      .setSubject(sub)
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(key.privateKey);

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
      if (!parsed.success) return invalidPayload(h, 'login request', parsed.error);
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
      const token = await sign({ sub: user._id, scope: user.scopes, name: user.name }, env.AUTH_TOKEN_TTL_SECONDS);
      logger.info({ username, userId: user._id }, 'login');
      return h.response({ token }).header('cache-control', 'no-store');
    },
  });

  // Internal only: a worker acting for a user long after the user's own token expired gets a
  // short-lived token for that user, one record and one action. The gateway never routes here.
  server.route({
    method: 'POST',
    path: '/internal/tokens',
    options: { payload: { maxBytes: 4 * 1024 } },
    handler: async (request, h) => {
      const parsed = TokenRequest.safeParse(request.payload ?? {});
      if (!parsed.success) return invalidPayload(h, 'token request', parsed.error);
      const { userId, recordId, action } = parsed.data;
      let user: UserDocument | null;
      try {
        user = await directory.users.findOne({ _id: userId });
      } catch (error) {
        logger.warn({ err: (error as Error).message }, 'token request failed: user directory unreachable');
        return h.response({ error: 'the user directory is unavailable' }).code(503);
      }
      if (!user) return h.response({ error: `there is no user ${userId}` }).code(404);
      const token = await sign({ sub: user._id, scope: [action], name: user.name, record: recordId }, env.AUTH_INTERNAL_TOKEN_TTL_SECONDS);
      logger.info({ userId, recordId, action }, 'internal token issued');
      return h.response({ token }).header('cache-control', 'no-store');
    },
  });

  // The directory's one write route: a user's name or office. Sysadmin only; internal (the
  // gateway routes none of auth but login). The change's event makes every copy follow.
  const ownKeys = createLocalJWKSet({ keys: [key.jwk] });
  server.route({
    method: 'PATCH',
    path: '/users/{userId}',
    options: { payload: { maxBytes: 4 * 1024 } },
    handler: async (request, h) => {
      const token = bearerToken(request.headers['authorization'] as string | undefined);
      if (!token) return h.response({ error: 'send Authorization: Bearer <sysadmin token>' }).code(401);
      let admin: TokenUser;
      try {
        admin = await verifyToken(token, ownKeys);
      } catch (error) {
        return h.response({ error: (error as Error).message }).code(401);
      }
      if (!admin.scopes.includes('sysadmin')) return h.response({ error: 'changing users needs the sysadmin scope' }).code(403);
      const parsed = UserChange.safeParse(request.payload ?? {});
      if (!parsed.success) return invalidPayload(h, 'user change', parsed.error);
      const userId = request.params['userId'] as string;
      try {
        await prepare();
        const user = await directory.update(userId, parsed.data);
        logger.info({ userId, by: admin.userId, version: user.version }, 'user changed');
        return { userId, name: user.name, office: user.office, version: user.version };
      } catch (error) {
        if (error instanceof UnknownUserError) return h.response({ error: error.message }).code(404);
        logger.warn({ err: (error as Error).message }, 'user change failed');
        return h.response({ error: 'the user directory is unavailable; try again' }).code(503);
      }
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
