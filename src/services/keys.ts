import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeKey } from '../config/config.js';
import { errnoCode } from '../domain/errors/app-error.js';

/**
 * Keys derived from one master key: one encrypts TOTP seeds at rest
 * (AES-256-GCM), one signs partner access tokens (HS256), one signs the audit
 * log's heads (Ed25519). The master key comes
 * from SWITCHBOARD_SECRET_KEY or, for a single node, a file generated once in
 * the data directory.
 */
export type Keys = {
  encryption: Buffer;
  tokenSigning: Uint8Array;
  /** CSRF tokens are HMAC(session token): nothing to store, and the app can fetch its token again after a reload. */
  csrf: Buffer;
  /** Signs the audit log's batch heads (Ed25519): the database never holds it, so its administrator cannot re-sign a rewritten log. */
  auditSigning: KeyObject;
  /** Derives a single sign-on attempt's state, nonce and PKCE verifier from the browser's login cookie: nothing to store. */
  sso: Buffer;
};

/** An Ed25519 private key from a 32-byte seed (RFC 8410's PKCS #8 form of it). */
const ed25519FromSeed = (seed: Buffer): KeyObject =>
  createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });

export function deriveKeys(master: Buffer): Keys {
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `switchboard:${info}`, 32));
  return {
    encryption: derive('encryption:v1'),
    tokenSigning: new Uint8Array(derive('partner-token-signing:v1')),
    csrf: derive('csrf:v1'),
    auditSigning: ed25519FromSeed(derive('audit-head-signing:v1')),
    sso: derive('sso-login:v1'),
  };
}

export async function loadMasterKey(configured: string | undefined, dataDir: string): Promise<Buffer> {
  if (configured) {
    const key = decodeKey(configured);
    if (!key) throw new Error('SWITCHBOARD_SECRET_KEY must be at least 32 bytes');
    return key;
  }
  const file = path.join(dataDir, 'secret.key');
  try {
    const key = decodeKey((await readFile(file, 'utf8')).trim());
    if (!key) throw new Error(`${file} is damaged; restore it from a backup (without it, TOTP enrolments cannot be read)`);
    return key;
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
  const key = randomBytes(32);
  try {
    await writeFile(file, `${key.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    // Another process created it first: use theirs.
    if (errnoCode(error) === 'EEXIST') return loadMasterKey(undefined, dataDir);
    throw error;
  }
}

/** "v1.<iv>.<tag>.<ciphertext>" in base64url. */
export function encrypt(keys: Keys, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.encryption, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

export function decrypt(keys: Keys, sealed: string): string {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a sealed value');
  const decipher = createDecipheriv('aes-256-gcm', keys.encryption, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}

/** A random bearer token (256 bits) and the SHA-256 digest we store instead of it. */
export const newToken = (): string => randomBytes(32).toString('base64url');
export const digest = (token: string): string => createHash('sha256').update(token).digest('hex');

export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

export const csrfTokenFor = (keys: Keys, sessionToken: string): string =>
  createHmac('sha256', keys.csrf).update(sessionToken).digest('base64url');

export function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
