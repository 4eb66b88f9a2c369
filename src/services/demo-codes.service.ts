import type { Db } from '../storage/database.js';
import { findUserByUsername } from '../storage/repositories/identity.repository.js';
import { DEMO_ACCOUNT_USERNAMES, readDemoMarker } from './demo-seed.service.js';
import { decrypt, type Keys } from './keys.js';
import { totpCode } from './totp.js';

/**
 * `switchboard demo codes`: each demo account's current sign-in code, standing in for a phone. Demo databases only:
 * undefined on any other database (nothing is read from its accounts).
 */
export async function demoSignInCodes(db: Db, keys: Keys, now: Date): Promise<{ username: string; code: string }[] | undefined> {
  if (!(await readDemoMarker(db))) return undefined;
  const codes: { username: string; code: string }[] = [];
  for (const username of DEMO_ACCOUNT_USERNAMES) {
    const user = await findUserByUsername(db, username);
    if (!user?.totp_secret_enc) continue;
    codes.push({ username, code: await totpCode(decrypt(keys, user.totp_secret_enc), now) });
  }
  return codes;
}
