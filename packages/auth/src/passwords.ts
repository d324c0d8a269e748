/**
 * Password hashing with scrypt (node:crypto) at OWASP's current parameters (Password Storage
 * Cheat Sheet: N=2^17, r=8, p=1), a random salt per password, the parameters kept in the stored
 * string (`scrypt$N$r$p$salt$hash`) so they can be raised later without breaking existing hashes,
 * and a constant-time comparison. A hash made with other parameters still verifies; the login
 * that proves the password then re-hashes it (`needsRehash`).
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

const scrypt = (password: string, salt: Buffer, length: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    scryptCallback(password, salt, length, options, (error, key) => (error ? reject(error) : resolve(key))),
  );

/** OWASP Password Storage Cheat Sheet, scrypt: N=2^17 (128 MiB with r=8), r=8, p=1. */
export const CURRENT_PARAMS: Readonly<ScryptParams> = { N: 2 ** 17, r: 8, p: 1 };
const KEY_LENGTH = 32;

/**
 * scrypt needs 128·N·r bytes (128 MiB at the current parameters); Node refuses more than its
 * `maxmem` (32 MiB by default), so it is set from the parameters, with room to spare.
 */
const maxmemFor = ({ N, r, p }: ScryptParams) => 128 * N * r + 128 * r * p + 1024 * 1024;

/**
 * Parameters read back from the database are bounded, so a damaged or planted hash cannot make
 * a login allocate gigabytes or run for minutes.
 */
const withinBounds = ({ N, r, p }: ScryptParams) =>
  Number.isInteger(Math.log2(N)) && N >= 2 && N <= 2 ** 20 && Number.isInteger(r) && r >= 1 && r <= 32 && Number.isInteger(p) && p >= 1 && p <= 16;

interface StoredHash {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

export function parseStoredHash(stored: string): StoredHash | undefined {
  const [scheme, n, r, p, salt, hash, ...rest] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash || rest.length > 0) return undefined;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  if (!withinBounds(params)) return undefined;
  const hashBytes = Buffer.from(hash, 'base64');
  if (hashBytes.length < 16) return undefined;
  return { params, salt: Buffer.from(salt, 'base64'), hash: hashBytes };
}

export async function hashPassword(password: string, params: ScryptParams = CURRENT_PARAMS): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, KEY_LENGTH, { ...params, maxmem: maxmemFor(params) });
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseStoredHash(stored);
  if (!parsed) return false;
  const actual = await scrypt(password, parsed.salt, parsed.hash.length, { ...parsed.params, maxmem: maxmemFor(parsed.params) });
  return timingSafeEqual(actual, parsed.hash);
}

/** Whether a stored hash was made with parameters other than the current ones. */
export function needsRehash(stored: string): boolean {
  const parsed = parseStoredHash(stored);
  if (!parsed) return true;
  const { N, r, p } = parsed.params;
  return N !== CURRENT_PARAMS.N || r !== CURRENT_PARAMS.r || p !== CURRENT_PARAMS.p;
}
