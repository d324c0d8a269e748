/**
 * Tokens, as every service checks them: JWTs signed by auth (EdDSA), verified against auth's
 * published keys (JWKS). Two kinds, told apart by their audience:
 * - user tokens (`steadfast`): what login gives; the gateway and auth's admin routes take them;
 * - narrowed tokens (`steadfast-internal`): minted for a worker acting for one user on one
 *   record with one action; only the internal call they were minted for takes them (the country
 *   config's event registration). A narrowed token is never a user token, and the reverse.
 * A token names the user and the scopes they hold; nothing else is trusted from a client.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';

export const SCOPES = ['declare', 'validate', 'register', 'correct', 'sysadmin'] as const;
export type Scope = (typeof SCOPES)[number];

export const TOKEN_ISSUER = 'steadfast-auth';
export const TOKEN_AUDIENCE = 'steadfast';
/** The audience of narrowed tokens: refused wherever a user token is expected. */
export const INTERNAL_TOKEN_AUDIENCE = 'steadfast-internal';

export type TokenKind = 'user' | 'internal';
const AUDIENCES: Record<TokenKind, string> = { user: TOKEN_AUDIENCE, internal: INTERNAL_TOKEN_AUDIENCE };

export const TokenClaims = z.object({
  sub: z.string().min(1),
  scope: z.array(z.enum(SCOPES)),
  name: z.string().optional(),
  /** Set on internal tokens: the one record the token may act on. */
  record: z.string().optional(),
});

export interface TokenUser {
  userId: string;
  scopes: Scope[];
  name?: string;
  /** The one record an internal (narrowed) token is for. */
  recordId?: string;
}

export class InvalidTokenError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'InvalidTokenError';
  }
}

/** The token of an `Authorization: Bearer <token>` header, if that is what it holds. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
}

/** Auth's keys could not be fetched: say so, rather than calling a good token bad. */
export class TokenKeysUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the token could not be checked: the auth service is unreachable', { cause });
    this.name = 'TokenKeysUnavailableError';
  }
}

const KEY_SET_ERRORS = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC']);

/** Verifies a token of the given kind (a user token unless told otherwise). */
export async function verifyToken(token: string, keys: JWTVerifyGetKey, kind: TokenKind = 'user'): Promise<TokenUser> {
  return (await checkToken(token, keys, kind)).user;
}

/** A verified token's user, and when the token expires (ms since the epoch). */
export interface VerifiedToken {
  user: TokenUser;
  expiresAt: number;
}

async function checkToken(token: string, keys: JWTVerifyGetKey, kind: TokenKind): Promise<VerifiedToken> {
  let payload: { exp?: number };
  try {
    ({ payload } = await jwtVerify(token, keys, {
      issuer: TOKEN_ISSUER,
      audience: AUDIENCES[kind],
      algorithms: ['EdDSA'],
      requiredClaims: ['exp', 'sub'],
    }));
  } catch (error) {
    const code = (error as { code?: string }).code;
    // The key set could not be fetched or read: auth's fault, not the token's.
    if (!code?.startsWith('ERR_J') || KEY_SET_ERRORS.has(code)) throw new TokenKeysUnavailableError(error);
    throw new InvalidTokenError(code === 'ERR_JWT_EXPIRED' ? 'the token has expired' : 'the token is not valid');
  }
  const claims = TokenClaims.safeParse(payload);
  if (!claims.success) throw new InvalidTokenError('the token does not carry a user and scopes');
  const { sub, scope, name, record } = claims.data;
  // Belt and braces beside the audience: a user token never names a record, a narrowed one must.
  if ((kind === 'user') !== (record === undefined)) throw new InvalidTokenError('the token is not valid');
  // `exp` is a required claim: jwtVerify refused the token without it.
  const user = { userId: sub, scopes: scope, ...(name ? { name } : {}), ...(record ? { recordId: record } : {}) };
  return { user, expiresAt: (payload.exp ?? 0) * 1000 };
}

/** How long a verified token's claims are reused without checking its signature again. */
export const VERIFIED_TOKEN_TTL_MS = 60_000;

export interface TokenVerifierOptions {
  /** Verified tokens remembered (each at most `VERIFIED_TOKEN_TTL_MS`, never past its `exp`). */
  cacheSize?: number;
  now?: () => number;
}

/**
 * A verifier that fetches (and caches, and refreshes on an unknown key id) auth's JWKS. A client
 * presents the same token on every request (a submission and its status reads): its signature is
 * checked once, and its claims are reused for at most a minute and never past its expiry. Only
 * a token that passed verification is remembered, under its whole text, so a forged or altered
 * token always meets the full check; the cache is bounded, so a flood of valid tokens evicts
 * the oldest instead of growing.
 */
export function createTokenVerifier(jwksUrl: string, kind: TokenKind = 'user', options: TokenVerifierOptions = {}): (token: string) => Promise<TokenUser> {
  const keys = createRemoteJWKSet(new URL(jwksUrl), { cooldownDuration: 5_000, timeoutDuration: 5_000 });
  return cachedVerifier((token) => checkToken(token, keys, kind), options);
}

/** `verify`, remembering each success until `expiresAt` (or the TTL, whichever is first). */
export function cachedVerifier(
  verify: (token: string) => Promise<VerifiedToken>,
  { cacheSize = 10_000, now = Date.now }: TokenVerifierOptions = {},
): (token: string) => Promise<TokenUser> {
  const verified = new LRUCache<string, { user: TokenUser; until: number }>({ max: cacheSize });
  return async (token) => {
    const hit = verified.get(token);
    if (hit && now() < hit.until) return hit.user;
    if (hit) verified.delete(token);
    const { user, expiresAt } = await verify(token);
    verified.set(token, { user, until: Math.min(now() + VERIFIED_TOKEN_TTL_MS, expiresAt) });
    return user;
  };
}

/**
 * Whether a presented service credential is the expected secret, in constant time: both are
 * hashed first, so neither the content nor the length of the secret leaks through timing.
 */
export function credentialMatches(presented: string | undefined, secret: string): boolean {
  if (presented === undefined) return false;
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(secret));
}

/**
 * Auth's refusal of an internal token, with its HTTP status. A refusal about the request (400,
 * 403: a user disabled before the work was accepted, an action the user does not hold; 404: no
 * such user) will be refused again: `permanent`. Anything else is worth retrying: auth or its
 * directory failing (5xx), or the workflow's own credential refused (401: a configuration an
 * operator fixes, after which the waiting jobs go on by themselves).
 */
export class InternalTokenRefused extends Error {
  constructor(
    readonly status: number,
    reason: string | undefined,
  ) {
    super(`auth refused an internal token: HTTP ${status}${reason ? ` (${reason.slice(0, 160)})` : ''}`);
    this.name = 'InternalTokenRefused';
  }

  get permanent(): boolean {
    return this.status === 400 || this.status === 403 || this.status === 404;
  }
}

/**
 * Asks auth (internal) for a short-lived narrowed token for one user, one record and one action:
 * what a worker uses to call another service on the user's behalf, long after the user's own
 * token expired. `acceptedAt`: when the work was accepted (a user disabled since still has the
 * work accepted before done). The caller proves itself with the service credential `secret`
 * (`AUTH_INTERNAL_SECRET`). Throws `InternalTokenRefused` on anything but 200; the caller's
 * retry policy decides what happens next.
 */
export async function requestInternalToken(
  authUrl: string,
  secret: string,
  request: { userId: string; recordId: string; action: Scope; acceptedAt?: string },
): Promise<string> {
  const response = await fetch(new URL('/internal/tokens', authUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: JSON.stringify(request),
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status !== 200) {
    const body = (await response.json().catch(() => undefined)) as { error?: unknown } | undefined;
    throw new InternalTokenRefused(response.status, typeof body?.error === 'string' ? body.error : undefined);
  }
  return ((await response.json()) as { token: string }).token;
}

/** Whether a (narrowed) token allows `scope` on `recordId`. */
export const allowsOnRecord = (user: TokenUser, scope: Scope, recordId: string): boolean =>
  user.scopes.includes(scope) && user.recordId === recordId;
