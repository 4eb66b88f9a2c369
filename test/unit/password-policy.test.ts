import { describe, expect, it } from 'vitest';
import { checkPassword } from '../../src/domain/identity/password-policy.js';
import { loadBannedPasswords } from '../../src/services/identity-context.js';

const banned = loadBannedPasswords();
const person = { username: 'maria.lopez', displayName: 'María López Tzoc' };
const codes = (password: string) => checkPassword(password, person, banned).map((p) => p.code);

describe('password policy', () => {
  it('accepts a long, uncommon password', () => {
    expect(codes('cobalt-river-Lantern-42')).toEqual([]);
  });

  it('needs at least 12 characters', () => {
    expect(codes('Short-pw-1')).toContain('too_short');
  });

  it('refuses common passwords, also dressed up with digits, symbols and leet spelling', () => {
    for (const password of [
      'password1234',
      'P@ssw0rd2026!',
      'Welcome123456',
      '!!Switchboard2026',
      'qwertyuiop12',
      'passwordpassword',
      'Nashville2026!!',
    ]) {
      expect(codes(password), password).toContain('banned');
    }
  });

  it("refuses the person's own name or username", () => {
    expect(codes('maria.lopez-is-great')).toContain('contains_name');
    expect(codes('xx-Lopez-rocks-99')).toContain('contains_name');
  });

  it('refuses runs and repeats', () => {
    expect(codes('aaaaaaaaaaaaaaa')).toContain('too_simple');
    expect(codes('abcdefghijklmnop')).toContain('too_simple');
    expect(codes('abababababababab')).toContain('too_simple');
  });
});
