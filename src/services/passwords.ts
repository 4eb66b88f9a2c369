import { randomInt } from 'node:crypto';
import argon2 from 'argon2';

/** argon2id with the library's defaults (64 MiB, t=3, p=4): the OWASP-recommended family for stored passwords. */
export const hashPassword = (password: string): Promise<string> => argon2.hash(password, { type: argon2.argon2id });

export const verifyPassword = (hash: string, password: string): Promise<boolean> => argon2.verify(hash, password);

// No 0/O, 1/l/I: passwords printed once are read off a terminal and typed by hand.
const ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A random password of four groups of five (~114 bits), e.g. "k7Qmz-..."; never derived from a seed. */
export function generatePassword(): string {
  const groups: string[] = [];
  for (let g = 0; g < 4; g++) {
    let group = '';
    for (let i = 0; i < 5; i++) group += ALPHABET[randomInt(ALPHABET.length)];
    groups.push(group);
  }
  return groups.join('-');
}
