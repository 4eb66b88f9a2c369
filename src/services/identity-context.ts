import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import path from 'node:path';
import { buildPermissionTable, type PermissionTable } from '../domain/access/access-control.js';
import { type BannedList, parseBannedList } from '../domain/identity/password-policy.js';
import type { Db } from '../storage/database.js';
import { referenceDir } from '../storage/paths.js';
import { listRolePermissions } from '../storage/repositories/identity.repository.js';
import type { Keys } from './keys.js';

/**
 * A one-time enrollment link (a new account, or a password reset) on its way
 * to the person it is for.
 */
export type EnrollmentLink = {
  userId: string;
  username: string;
  displayName: string;
  role: string;
  reason: 'new_account' | 'password_reset';
  url: string;
  expiresAt: Date;
  /** Who asked for it, as the audit names them: `user:<id>` or `cli:<operating-system user>`. */
  requestedBy: string;
};

/**
 * The out-of-band channel that carries an enrollment link to its person.
 * Whoever asked for the link (an admin in the API) never receives it: an
 * admin who could enroll the accounts they create could be two people alone.
 */
export type EnrollmentCourier = {
  /** Said in answers and audit events: where the link went ("outbox", "operator"). */
  channel: string;
  deliver: (link: EnrollmentLink) => Promise<void>;
};

/** What identity services need, assembled once at start-up. */
export type IdentityDeps = {
  db: Db;
  keys: Keys;
  banned: BannedList;
  permissions: PermissionTable;
  /** Base of links sent to people (enrollment). */
  publicUrl: string;
  /** Where links asked for through the API go (the enrollment outbox). */
  enrollmentCourier: EnrollmentCourier;
  /** Set when single sign-on is on: password+TOTP sign-in is then kept for break-glass accounts only. */
  singleSignOn?: { providerName: string };
};

/**
 * The enrollment outbox: each link is a JSON file in `dir` (0600 in a 0700
 * folder), written whole (temporary name, fsync, rename) before the account
 * commits, for the site's delivery agent to carry to the person — by mail to
 * their directory address, by courier, in person — and then delete. The API
 * never answers with the link, and the server's operator is the only other
 * reader.
 */
export function outboxCourier(dir: string): EnrollmentCourier {
  return {
    channel: 'outbox',
    async deliver(link) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const name = `${link.expiresAt.toISOString().replace(/[:.]/g, '-')}-${link.username}-${randomBytes(4).toString('hex')}`;
      const staging = path.join(dir, `.${name}.tmp`);
      const file = await open(staging, 'wx', 0o600);
      try {
        await file.writeFile(
          `${JSON.stringify(
            {
              username: link.username,
              displayName: link.displayName,
              role: link.role,
              reason: link.reason,
              url: link.url,
              expiresAt: link.expiresAt.toISOString(),
              requestedBy: link.requestedBy,
            },
            null,
            2,
          )}\n`,
        );
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(staging, path.join(dir, `${name}.json`));
      const folder = await open(dir, 'r');
      try {
        await folder.sync();
      } finally {
        await folder.close();
      }
    },
  };
}

export const loadBannedPasswords = (): BannedList =>
  parseBannedList(readFileSync(path.join(referenceDir(), 'banned-passwords.txt'), 'utf8'));

export async function loadPermissionTable(db: Db): Promise<PermissionTable> {
  return buildPermissionTable(await listRolePermissions(db));
}
