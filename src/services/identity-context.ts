import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildPermissionTable, type PermissionTable } from '../domain/access/access-control.js';
import { type BannedList, parseBannedList } from '../domain/identity/password-policy.js';
import type { Db } from '../storage/database.js';
import { referenceDir } from '../storage/paths.js';
import { listRolePermissions } from '../storage/repositories/identity.repository.js';
import type { Keys } from './keys.js';

/** What identity services need, assembled once at start-up. */
export type IdentityDeps = {
  db: Db;
  keys: Keys;
  banned: BannedList;
  permissions: PermissionTable;
  /** Base of links sent to people (enrollment). */
  publicUrl: string;
};

export const loadBannedPasswords = (): BannedList =>
  parseBannedList(readFileSync(path.join(referenceDir(), 'banned-passwords.txt'), 'utf8'));

export async function loadPermissionTable(db: Db): Promise<PermissionTable> {
  return buildPermissionTable(await listRolePermissions(db));
}
