import { describe, expect, it } from 'vitest';
import { checkDob, checkIdentifiers, normalizePhone } from '../../../src/domain/persons/person-rules.js';

const on = '2026-11-29'; // a day on the center's calendar

describe('person rules', () => {
  it('A-numbers: A + 8 or 9 digits in common writings, stored as 9 digits', () => {
    for (const [given, stored] of [
      ['A123456789', '123456789'],
      ['a-12345678', '012345678'],
      ['A 123 456 789', '123456789'],
      ['123456789', '123456789'],
    ] as const) {
      expect(checkIdentifiers({ dobBasis: 'unknown', aNumber: given }, 'p').identifiers.aNumber).toBe(stored);
    }
    for (const bad of ['A1234567', 'A1234567890', 'B123456789', 'A12345678X']) {
      expect(checkIdentifiers({ dobBasis: 'unknown', aNumber: bad }, 'p').issues).toEqual([
        expect.objectContaining({ path: 'p.aNumber', code: 'invalid_a_number' }),
      ]);
    }
  });

  it('other identifiers are normalised or refused with their own codes', () => {
    const checked = checkIdentifiers(
      {
        dobBasis: 'unknown',
        fbiNumber: '12-345 ab',
        stateId: { value: 'd123-4567', state: 'tx' },
        passport: { value: 'x1', country: 'GT' },
      },
      'p',
    );
    expect(checked.identifiers.others).toEqual([
      { kind: 'fbi_number', value: '12345AB', issuer: null },
      { kind: 'state_id', value: 'D1234567', issuer: 'TX' },
    ]);
    expect(checked.issues.map((i) => i.code)).toEqual(['invalid_passport']);
  });

  it('dates of birth must be real, past, and at most 120 years back; the basis must fit', () => {
    expect(checkDob('2010-02-30', 'exact', on, 'p')[0]?.code).toBe('invalid_date');
    expect(checkDob('2026-11-30', 'exact', on, 'p')[0]?.code).toBe('dob_in_future');
    expect(checkDob('1905-11-28', 'claimed', on, 'p')[0]?.code).toBe('dob_too_old');
    expect(checkDob('1906-11-28', 'claimed', on, 'p')).toEqual([]);
    expect(checkDob(undefined, 'estimated', on, 'p')[0]?.code).toBe('required');
    expect(checkDob('2000-01-01', 'unknown', on, 'p')[0]?.code).toBe('dob_basis_unknown');
    expect(checkDob(undefined, 'unknown', on, 'p')).toEqual([]);
  });

  it('phones: one form for one number', () => {
    expect(normalizePhone('(615) 555-0100')).toBe('+16155550100');
    expect(normalizePhone('+1 615 555 0100')).toBe('+16155550100');
    expect(normalizePhone('1-615-555-0100')).toBe('+16155550100');
    expect(normalizePhone('+502 5555 1234')).toBe('+50255551234');
    expect(normalizePhone('call me')).toBeUndefined();
  });
});

describe('purpose-of-use codes', () => {
  it('are the same in the domain rule and in the API contract (which imports nothing from the domain)', async () => {
    const { PURPOSE_CODES } = await import('../../../src/domain/safeguards/purpose.js');
    const { ZPurposeCode } = await import('../../../src/contracts/persons.js');
    expect(ZPurposeCode.unwrap().options).toEqual([...PURPOSE_CODES]);
  });
});
