import { type CalendarDay, isCalendarDay } from '../calendar/calendar-day.js';
import type { FieldIssue } from '../errors/app-error.js';
import { normalizeANumber } from '../matching/score.js';
import { ageOn, type DobBasis } from './age.js';

/**
 * The rules a person's details must meet before they are stored, beyond their
 * shape: a real A-number, a date of birth that can be true, identifiers in
 * their usual forms. Every broken rule is reported at once, each with the
 * path of its field.
 */

export const MAX_AGE_YEARS = 120;

export type { DobBasis };

export type PersonDetails = {
  dob?: string | null | undefined;
  dobBasis: DobBasis;
  aNumber?: string | null | undefined;
  fbiNumber?: string | null | undefined;
  stateId?: { value: string; state: string } | null | undefined;
  orrCaseNumber?: string | null | undefined;
  passport?: { value: string; country: string } | null | undefined;
};

export type CheckedIdentifiers = {
  aNumber: string | null;
  others: { kind: 'fbi_number' | 'state_id' | 'orr_case_number' | 'passport'; value: string; issuer: string | null }[];
};

/** A date of birth that can be true on the center's calendar today. */
export function checkDob(dob: string | null | undefined, basis: DobBasis, today: CalendarDay, path: string): FieldIssue[] {
  if (basis === 'unknown') {
    return dob
      ? [{ path: `${path}.dobBasis`, code: 'dob_basis_unknown', message: 'a date of birth was given, so its basis cannot be "unknown"' }]
      : [];
  }
  if (!dob) return [{ path: `${path}.dob`, code: 'required', message: `a date of birth is needed when its basis is "${basis}"` }];
  if (!/^\d{4}-\d{2}-\d{2}$/.test(dob) || !isCalendarDay(dob)) {
    return [{ path: `${path}.dob`, code: 'invalid_date', message: `${dob} is not a calendar date (YYYY-MM-DD)` }];
  }
  if (dob > today) return [{ path: `${path}.dob`, code: 'dob_in_future', message: `${dob} is after today` }];
  if (ageOn(dob, today) > MAX_AGE_YEARS) {
    return [{ path: `${path}.dob`, code: 'dob_too_old', message: `${dob} would make the person older than ${MAX_AGE_YEARS}` }];
  }
  return [];
}

/** FBI numbers (UCN): 1–9 alphanumerics; state IDs 4–20; ORR case numbers 6–12 digits; passports 5–20 alphanumerics. */
export function checkIdentifiers(p: PersonDetails, path: string): { identifiers: CheckedIdentifiers; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const others: CheckedIdentifiers['others'] = [];
  let aNumber: string | null = null;
  if (p.aNumber?.trim()) {
    const normal = normalizeANumber(p.aNumber);
    if (normal) aNumber = normal;
    else
      issues.push({
        path: `${path}.aNumber`,
        code: 'invalid_a_number',
        message: 'an A-number is "A" followed by 8 or 9 digits (e.g. A123456789 or A-12345678)',
      });
  }
  const compact = (v: string) => v.toUpperCase().replace(/[\s-]/g, '');
  if (p.fbiNumber?.trim()) {
    const v = compact(p.fbiNumber);
    if (/^[A-Z0-9]{1,9}$/.test(v)) others.push({ kind: 'fbi_number', value: v, issuer: null });
    else issues.push({ path: `${path}.fbiNumber`, code: 'invalid_fbi_number', message: 'an FBI number is up to 9 letters and digits' });
  }
  if (p.stateId) {
    const v = compact(p.stateId.value);
    if (/^[A-Z0-9]{4,20}$/.test(v)) others.push({ kind: 'state_id', value: v, issuer: p.stateId.state.toUpperCase() });
    else issues.push({ path: `${path}.stateId.value`, code: 'invalid_state_id', message: 'a state ID is 4–20 letters and digits' });
  }
  if (p.orrCaseNumber?.trim()) {
    const v = compact(p.orrCaseNumber);
    if (/^\d{6,12}$/.test(v)) others.push({ kind: 'orr_case_number', value: v, issuer: null });
    else issues.push({ path: `${path}.orrCaseNumber`, code: 'invalid_orr_case_number', message: 'an ORR case number is 6–12 digits' });
  }
  if (p.passport) {
    const v = compact(p.passport.value);
    if (/^[A-Z0-9]{5,20}$/.test(v)) others.push({ kind: 'passport', value: v, issuer: p.passport.country.toUpperCase() });
    else issues.push({ path: `${path}.passport.value`, code: 'invalid_passport', message: 'a passport number is 5–20 letters and digits' });
  }
  return { identifiers: { aNumber, others }, issues };
}

/** Phone numbers are kept as digits with a leading + (E.164-like), so "(615) 555-0100" and "+1 615 555 0100" are one number. */
export function normalizePhone(value: string): string | undefined {
  const digits = value.replace(/[^\d+]/g, '');
  const bare = digits.replace(/^\+/, '');
  if (!/^\d{7,15}$/.test(bare)) return undefined;
  if (!digits.startsWith('+') && bare.length === 10) return `+1${bare}`;
  if (!digits.startsWith('+') && bare.length === 11 && bare.startsWith('1')) return `+${bare}`;
  return `+${bare}`;
}
