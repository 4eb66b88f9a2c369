import { describe, expect, it } from 'vitest';
import { isAppError } from '../../../src/domain/errors/app-error.js';
import {
  BODY_FIELDS,
  checkIntake,
  type IntakeCommand,
  type IntakeFields,
  type IntakePerson,
  intakeRefused,
} from '../../../src/domain/intake/intake-command.js';

/**
 * The intake command's own rules, with no database and no clock: every broken rule at once, each at the path of
 * its field in the caller's input — the desktop's body or a partner submission — so no caller translates errors.
 */

const NOW = new Date('2026-12-05T15:00:00Z');
const TODAY = '2026-12-05';

const person = (over: Partial<IntakePerson> = {}): IntakePerson => ({
  givenNames: 'Ana',
  familyName1: 'Sintética',
  aliases: [],
  dobBasis: 'unknown',
  sex: 'unknown',
  nationalities: [],
  languages: [],
  phones: [],
  identifiers: {},
  ...over,
});

const command = (over: Partial<IntakeCommand> = {}): IntakeCommand => ({
  source: 'public',
  reporter: {},
  narrative: 'A synthetic report.',
  language: 'en',
  grading: { sourceReliability: 'C', informationCredibility: 3 },
  subjects: [{ role: 'subject', person: person() }],
  locations: [],
  case: { open: { type: 'general_tip', priority: 'normal', summary: 'Synthetic' } },
  fields: BODY_FIELDS,
  ...over,
});

const paths = (issues: { path: string; code: string }[]) => issues.map((i) => `${i.path}:${i.code}`);

/** A partner submission's terms: one subject, one location, the time it happened. */
const PARTNER: IntakeFields = {
  ...BODY_FIELDS,
  receivedAt: 'receivedAt',
  person: () => 'subject',
  address: () => 'location',
  observedAt: () => 'occurredAt',
};

describe('the intake command', () => {
  it('a valid command has no issues; receipt defaults to now and the phone is normalised', () => {
    const checked = checkIntake(command({ reporter: { phone: '(615) 555-0100' } }), NOW, TODAY, []);
    expect(checked.issues).toEqual([]);
    expect(checked.receivedAt).toEqual(NOW);
    expect(checked.reporterPhone).toMatch(/6155550100$/);
    expect(checked.subjects).toHaveLength(1);
  });

  it("reports every broken rule at once, in order, at the desktop body's paths", () => {
    const checked = checkIntake(
      command({
        reporter: { phone: 'not a phone' },
        receivedAt: new Date(NOW.getTime() + 61_000),
        subjects: [
          { role: 'subject', personId: '00000000-0000-4000-8000-000000000001' },
          { role: 'child', person: person({ dob: '2999-01-01', dobBasis: 'exact', identifiers: { aNumber: 'A12' }, phones: ['x'] }) },
        ],
        locations: [{ subject: 1, address: { zip: '00000' }, observedAt: new Date(NOW.getTime() + 120_000), confidence: 'high' }],
      }),
      NOW,
      TODAY,
      [[{ path: 'body.locations.0.address.zip', code: 'unknown_zip', message: 'no such ZIP code' }]],
    );
    expect(paths(checked.issues)).toEqual([
      'body.receivedAt:in_future',
      'body.reporter.phone:invalid_phone',
      'body.subjects.1.person.dob:dob_in_future',
      'body.subjects.1.person.identifiers.aNumber:invalid_a_number',
      'body.subjects.1.person.phones.0:invalid_phone',
      'body.locations.0.address.zip:unknown_zip',
      'body.locations.0.observedAt:in_future',
    ]);
  });

  it("reports the same rules at a partner submission's own paths", () => {
    const checked = checkIntake(
      command({
        subjects: [{ role: 'subject', person: person({ dob: '2999-01-01', dobBasis: 'claimed' }) }],
        locations: [{ subject: 0, address: { state: 'TX' }, observedAt: new Date(NOW.getTime() + 120_000), confidence: 'high' }],
        fields: PARTNER,
      }),
      NOW,
      TODAY,
      [[]],
    );
    expect(paths(checked.issues)).toEqual(['subject.dob:dob_in_future', 'occurredAt:in_future']);
  });

  it('a time up to a minute ahead of ours is not in the future', () => {
    const ahead = (ms: number) =>
      checkIntake(
        command({
          receivedAt: new Date(NOW.getTime() + ms),
          locations: [{ subject: 0, address: {}, observedAt: new Date(NOW.getTime() + ms), confidence: 'low' }],
        }),
        NOW,
        TODAY,
        [[]],
      ).issues.length;
    expect(ahead(60_000)).toBe(0);
    expect(ahead(60_001)).toBe(2);
  });

  it('a refusal is a validation_failed AppError carrying every issue', () => {
    const one = intakeRefused([{ path: 'subject.dob', code: 'dob_in_future', message: 'x' }]);
    expect(isAppError(one) && one.code).toBe('validation_failed');
    expect(one.message).toBe('The intake was not saved: 1 field is invalid.');
    expect(one.details?.issues).toHaveLength(1);
    const two = intakeRefused([
      { path: 'a', code: 'c', message: 'm' },
      { path: 'b', code: 'c', message: 'm' },
    ]);
    expect(two.message).toBe('The intake was not saved: 2 fields are invalid.');
  });
});
