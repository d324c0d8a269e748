/**
 * User tokens, as every service checks them: JWTs signed by auth (EdDSA), verified against
 * auth's published keys (JWKS). A token names the user and the scopes they hold; nothing else
 * is trusted from a client.
 */
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';

export const SCOPES = ['declare', 'validate', 'register', 'correct', 'sysadmin'] as const;
export type Scope = (typeof SCOPES)[number];

export const TOKEN_ISSUER = 'steadfast-auth';
export const TOKEN_AUDIENCE = 'steadfast';

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

export async function verifyToken(token: string, keys: JWTVerifyGetKey): Promise<TokenUser> {
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
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
  return { userId: sub, scopes: scope, ...(name ? { name } : {}), ...(record ? { recordId: record } : {}) };
}

/** A verifier that fetches (and caches, and refreshes on an unknown key id) auth's JWKS. */
export function createTokenVerifier(jwksUrl: string): (token: string) => Promise<TokenUser> {
  const keys = createRemoteJWKSet(new URL(jwksUrl), { cooldownDuration: 5_000, timeoutDuration: 5_000 });
  return (token) => verifyToken(token, keys);
}

/**
 * Asks auth (internal) for a short-lived token for one user, one record and one action: what a
 * worker uses to call another service on the user's behalf, long after the user's own token
 * expired. Throws on anything but 200; the caller's retry policy decides what happens next.
 */
export async function requestInternalToken(
  authUrl: string,
  request: { userId: string; recordId: string; action: Scope },
): Promise<string> {
  const response = await fetch(new URL('/internal/tokens', authUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status !== 200) throw new Error(`auth refused an internal token: HTTP ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

/** Whether a (narrowed) token allows `scope` on `recordId`. */
export const allowsOnRecord = (user: TokenUser, scope: Scope, recordId: string): boolean =>
  user.scopes.includes(scope) && user.recordId === recordId;
