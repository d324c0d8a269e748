/**
 * The signing key of user tokens. Production passes it in (`AUTH_PRIVATE_KEY`); development
 * generates one on first start and keeps it in a file (mode 0600), so a restart of auth does not
 * log everybody out.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError } from '@steadfast/commons';
import { exportJWK, type JWK } from 'jose';
import type { Environment } from './environment.js';

export interface SigningKey {
  privateKey: KeyObject;
  kid: string;
  jwk: JWK;
}

async function developmentKeyPem(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  // 'wx': if another auth process created it meanwhile, use theirs.
  try {
    await writeFile(file, pem, { mode: 0o600, flag: 'wx' });
    return pem;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readFile(file, 'utf8');
  }
}

export async function loadSigningKey(env: Environment): Promise<SigningKey> {
  // Secrets stores often keep a PEM on one line with literal "\n"s.
  const pem = (env.AUTH_PRIVATE_KEY ?? (await developmentKeyPem(env.AUTH_KEY_FILE))).replaceAll('\\n', '\n');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (error) {
    throw new ConfigError([`AUTH_PRIVATE_KEY: not a readable PKCS#8 PEM private key (${(error as Error).message})`]);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new ConfigError([`AUTH_PRIVATE_KEY: must be an Ed25519 key (tokens are signed with EdDSA), not ${privateKey.asymmetricKeyType}`]);
  }
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const kid = createHash('sha256').update(der).digest('base64url').slice(0, 16);
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  return { privateKey, kid, jwk };
}
