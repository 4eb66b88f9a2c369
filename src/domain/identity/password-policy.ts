/**
 * Staff passwords: at least 12 characters, not on the banned list shipped with
 * the project (common passwords, and common words dressed up with digits and
 * symbols), not built from the person's own name, and not one repeated or
 * sequential run.
 */

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

export type PasswordProblem = { code: string; message: string };

export type BannedList = { exact: ReadonlySet<string>; words: ReadonlySet<string> };

export function parseBannedList(text: string): BannedList {
  const exact = new Set<string>();
  const words = new Set<string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('word:')) words.add(line.slice(5).trim().toLowerCase());
    else exact.add(line.toLowerCase());
  }
  return { exact, words };
}

const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', $: 's', '!': 'i' };

/** "P@ssw0rd2026!" → "password": the word under the decoration (edge digits and symbols, leet spelling). */
function core(password: string): string {
  const undecorated = password
    .toLowerCase()
    .replace(/^[^a-z]+/, '')
    .replace(/[^a-z]+$/, '');
  return [...undecorated].map((c) => LEET[c] ?? c).join('');
}

function isBanned(password: string, banned: BannedList): boolean {
  const lower = password.toLowerCase();
  if (banned.exact.has(lower)) return true;
  const base = core(password);
  const half = base.length % 2 === 0 ? base.slice(0, base.length / 2) : '';
  // "passwordpassword" is "password" twice.
  return banned.words.has(base) || (half !== '' && half + half === base && banned.words.has(half));
}

function isRunOrRepeat(password: string): boolean {
  const codes = [...password.toLowerCase()].map((c) => c.codePointAt(0) ?? 0);
  const same = codes.every((c) => c === codes[0]);
  const ascending = codes.every((c, i) => i === 0 || c === (codes[i - 1] ?? 0) + 1);
  const descending = codes.every((c, i) => i === 0 || c === (codes[i - 1] ?? 0) - 1);
  const distinct = new Set(codes).size;
  return same || ascending || descending || distinct <= 3;
}

export function checkPassword(password: string, person: { username: string; displayName: string }, banned: BannedList): PasswordProblem[] {
  const problems: PasswordProblem[] = [];
  if (password.length < MIN_PASSWORD_LENGTH)
    problems.push({ code: 'too_short', message: `must be at least ${MIN_PASSWORD_LENGTH} characters` });
  if (password.length > MAX_PASSWORD_LENGTH)
    problems.push({ code: 'too_long', message: `must be at most ${MAX_PASSWORD_LENGTH} characters` });
  const lower = password.toLowerCase();
  if (isBanned(password, banned)) {
    problems.push({ code: 'banned', message: 'is a commonly used password; choose another' });
  }
  const nameParts = [person.username, ...person.username.split(/[._-]/), ...person.displayName.split(/\s+/)]
    .map((p) => p.toLowerCase())
    .filter((p) => p.length >= 4);
  if (nameParts.some((part) => lower.includes(part)))
    problems.push({ code: 'contains_name', message: 'must not contain your name or username' });
  if (isRunOrRepeat(password)) problems.push({ code: 'too_simple', message: 'must not be a repeated or sequential run of characters' });
  return problems;
}
