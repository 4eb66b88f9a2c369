import type { KeyObject } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config/config.js';
import type { RequestContext } from '../services/audit.service.js';
import { type IdentityDeps, loadBannedPasswords, loadPermissionTable, outboxCourier } from '../services/identity-context.js';
import { deriveKeys, loadMasterKey } from '../services/keys.js';
import type { Storage } from './storage-runtime.js';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export function publicUrl(config: Config): string {
  if (config.PUBLIC_URL) return config.PUBLIC_URL.replace(/\/+$/, '');
  const host = config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST;
  return `${config.HTTPS_CERT_FILE ? 'https' : 'http'}://${host}:${config.PORT}`;
}

/** Cookies are Secure unless staff reach Switchboard over plain HTTP on this machine only. */
export const secureCookies = (config: Config): boolean => publicUrl(config).startsWith('https://') || !LOOPBACK.test(config.HOST);

/** Where enrollment links asked for through the API are dropped for delivery. */
export const enrollmentOutboxDir = (config: Config): string =>
  config.ENROLLMENT_OUTBOX_DIR ? path.resolve(config.ENROLLMENT_OUTBOX_DIR) : path.join(config.dataDir, 'enrollment-outbox');

/** The audit sealer's signing key (from the master key), for commands that seal or check the audit log and need nothing else of identity. */
export async function auditSigningKey(config: Config): Promise<KeyObject> {
  return deriveKeys(await loadMasterKey(config.SWITCHBOARD_SECRET_KEY, config.dataDir)).auditSigning;
}

export async function openIdentity(config: Config, storage: Storage): Promise<IdentityDeps> {
  const master = await loadMasterKey(config.SWITCHBOARD_SECRET_KEY, config.dataDir);
  return {
    db: storage.handle.db,
    keys: deriveKeys(master),
    banned: loadBannedPasswords(),
    permissions: await loadPermissionTable(storage.handle.db),
    publicUrl: publicUrl(config),
    enrollmentCourier: outboxCourier(enrollmentOutboxDir(config)),
  };
}

/** Actions taken at the command line are audited as the system actor "cli:<operating-system user>". */
export const cliContext = (config: Pick<Config, 'CENTER_TIME_ZONE'>): RequestContext => ({
  actor: null,
  system: `cli:${os.userInfo().username}`,
  sourceIp: null,
  requestId: null,
  now: new Date(),
  timeZone: config.CENTER_TIME_ZONE,
});
