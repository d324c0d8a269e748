/**
 * Auth: login and user tokens. Internal only (bound to loopback); the gateway exposes
 * `POST /auth/authenticate` and nothing else of it. `/.well-known/jwks.json` publishes the
 * public key every service verifies tokens with.
 *
 * Callers, each with its own Hapi strategy: anyone (login, keys); the workflow, proving itself
 * with `AUTH_INTERNAL_SECRET` (narrowed tokens); a sysadmin's user token (user changes).
 */
import {
  createMongo,
  createServiceServer,
  INTERNAL_TOKEN_AUDIENCE,
  invalidPayload,
  mongoCheck,
  onceSucceeded,
  registerServiceCredential,
  registerTokenStrategy,
  SCOPES,
  secretOf,
  storeConfigFrom,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  tokenUserOf,
  verifyToken,
  watchMongoMonitor,
  type Logger,
} from '@steadfast/commons';
import type Hapi from '@hapi/hapi';
import { createLocalJWKSet, SignJWT } from 'jose';
import { z } from 'zod';
import { seedsDemoUsers, type Environment } from './environment.js';
import { loadSigningKey } from './keys.js';
import { mintRefusal } from './mint-policy.js';
import { hashPassword, needsRehash, verifyPassword } from './passwords.js';
import { UnknownUserError, UserDirectory, type UserDocument } from './users.js';

const TokenRequest = z.strictObject({
  userId: z.string().min(1),
  recordId: z.string().min(1),
  action: z.enum(SCOPES),
  /** When the work the token is for was accepted: a disabled user's work accepted before is still done (mint-policy.ts). */
  acceptedAt: z.iso.datetime().optional(),
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

/** The workflow, calling with AUTH_INTERNAL_SECRET, and what it may do. */
const WORKFLOW_CALLER = 'workflow-credential';
const MINT_SCOPE = 'mint-internal-tokens';
const USER_TOKEN = 'user-token';

export interface AuthService {
  server: Hapi.Server;
  directory: UserDirectory;
  close(): Promise<void>;
}

export async function createAuth(env: Environment, logger: Logger): Promise<AuthService> {
  const stores = storeConfigFrom(env);
  const mongo = createMongo(stores.mongo);
  const mongoWatch = watchMongoMonitor(mongo, logger);
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

  const sign = ({ sub, ...claims }: { sub: string } & Record<string, unknown>, ttlSeconds: number, audience = TOKEN_AUDIENCE) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
      .setSubject(sub)
      .setIssuer(TOKEN_ISSUER)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(key.privateKey);

  const server = await createServiceServer({
    name: 'auth',
    host: env.AUTH_HOST,
    port: env.AUTH_PORT,
    logger,
    checks: { mongo: mongoCheck(mongo, stores.mongo.dbName, mongoWatch) },
  });
  registerServiceCredential(server, WORKFLOW_CALLER, {
    service: 'workflow',
    secret: secretOf(env, 'AUTH_INTERNAL_SECRET'),
    scope: [MINT_SCOPE],
  });
  const ownKeys = createLocalJWKSet({ keys: [key.jwk] });
  registerTokenStrategy(server, USER_TOKEN, { verify: (token) => verifyToken(token, ownKeys, 'user') });

  server.route({
    method: 'GET',
    path: '/.well-known/jwks.json',
    handler: () => ({ keys: [key.jwk] }),
  });

  server.route({
    method: 'POST',
    path: '/auth/authenticate',
    // JSON only: a form-encoded or other body is 415 before anything is parsed or counted.
    options: { auth: false, payload: { maxBytes: 16 * 1024, allow: 'application/json' } },
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
      // A disabled user gets the same answer as a wrong password: nothing to learn from it.
      if (!user || !ok || user.disabledAt) {
        logger.info({ username, ...(user?.disabledAt ? { disabled: true } : {}) }, 'login failed');
        return h.response({ error: 'unknown username or wrong password' }).code(401);
      }
      if (needsRehash(user.passwordHash)) await rehash(user._id, user.passwordHash, password);
      const token = await sign({ sub: user._id, scope: user.scopes, name: user.name }, env.AUTH_TOKEN_TTL_SECONDS);
      logger.info({ username, userId: user._id }, 'login');
      return h.response({ token }).header('cache-control', 'no-store');
    },
  });

  /** A login proved the password of a hash made with older parameters: bring it up to date. */
  const rehash = async (userId: string, verifiedHash: string, password: string) => {
    try {
      if (await directory.replaceHash(userId, verifiedHash, await hashPassword(password))) logger.info({ userId }, 'password re-hashed at the current parameters');
    } catch (error) {
      // The login stands; the next one tries again.
      logger.warn({ userId, err: (error as Error).message }, 'password not re-hashed');
    }
  };

  // Internal only: a worker acting for a user long after the user's own token expired gets a
  // short-lived narrowed token for that user, one record and one action, if the user still holds
  // that action (a disabled user: only for work accepted before the disabling, mint-policy.ts). Only the workflow may ask (AUTH_INTERNAL_SECRET); the gateway never routes here.
  server.route({
    method: 'POST',
    path: '/internal/tokens',
    options: { auth: { strategy: WORKFLOW_CALLER, access: { scope: MINT_SCOPE } }, payload: { maxBytes: 4 * 1024, allow: 'application/json' } },
    handler: async (request, h) => {
      const parsed = TokenRequest.safeParse(request.payload ?? {});
      if (!parsed.success) return invalidPayload(h, 'token request', parsed.error);
      const { userId, recordId, action } = parsed.data;
      const acceptedAt = parsed.data.acceptedAt === undefined ? undefined : new Date(parsed.data.acceptedAt);
      if (action === 'sysadmin') return h.response({ error: 'sysadmin is never granted to a narrowed token' }).code(403);
      let user: UserDocument | null;
      try {
        user = await directory.users.findOne({ _id: userId });
      } catch (error) {
        logger.warn({ err: (error as Error).message }, 'token request failed: user directory unreachable');
        return h.response({ error: 'the user directory is unavailable' }).code(503);
      }
      if (!user) return h.response({ error: `there is no user ${userId}` }).code(404);
      const refusal = mintRefusal(user, action, acceptedAt, new Date());
      if (refusal) {
        logger.warn({ userId, recordId, action, ...(user.disabledAt ? { disabled: true } : {}), reason: refusal.error }, 'internal token refused');
        return h.response({ error: refusal.error }).code(refusal.status);
      }
      const token = await sign(
        { sub: user._id, scope: [action], name: user.name, record: recordId },
        env.AUTH_INTERNAL_TOKEN_TTL_SECONDS,
        INTERNAL_TOKEN_AUDIENCE,
      );
      logger.info({ userId, recordId, action, ...(user.disabledAt ? { disabled: true, acceptedAt: parsed.data.acceptedAt } : {}) }, 'internal token issued');
      return h.response({ token }).header('cache-control', 'no-store');
    },
  });

  // The directory's one write route: a user's name or office. Sysadmin only; internal (the
  // gateway routes none of auth but login). The change's event makes every copy follow.
  server.route({
    method: 'PATCH',
    path: '/users/{userId}',
    options: { auth: { strategy: USER_TOKEN, access: { scope: 'sysadmin' } }, payload: { maxBytes: 4 * 1024, allow: 'application/json' } },
    handler: async (request, h) => {
      const admin = tokenUserOf(request);
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
      mongoWatch.close();
      await mongo.close();
    },
  };
}
