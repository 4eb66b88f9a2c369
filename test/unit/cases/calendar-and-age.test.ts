import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, anniversary, dayIn, daysBetween, isCalendarDay, startOfDay } from '../../../src/domain/calendar/calendar-day.js';
import { type AgeDetermination, ageOn, ageVerdict, type DobAssertion, eighteenthBirthday } from '../../../src/domain/persons/age.js';
import { inForce } from '../../../src/domain/safeguards/protections.js';
import { evaluateReferral, type GateInput } from '../../../src/domain/safeguards/referral-gate.js';

/**
 * Date-only fields are days on the center's calendar (America/Chicago), checked
 * at instants where the UTC date and Nashville's differ: the evening, just after
 * midnight UTC, a leap day, and the days around the DST changes.
 */

const CHICAGO = 'America/Chicago';
const at = (iso: string) => new Date(iso);

/** Instants where the center's day is not the UTC day, and ordinary ones. */
const INSTANTS = [
  { name: '05:30 UTC (23:30 the evening before in Nashville)', instant: '2026-12-06T05:30:00Z', today: '2026-12-05' },
  { name: '23:30 UTC (17:30 in Nashville)', instant: '2026-12-05T23:30:00Z', today: '2026-12-05' },
  { name: '18:00 in Nashville (00:00 UTC)', instant: '2026-12-06T00:00:00Z', today: '2026-12-05' },
  { name: '23:59 in Nashville', instant: '2026-12-06T05:59:00Z', today: '2026-12-05' },
  { name: 'a leap day evening', instant: '2028-03-01T04:30:00Z', today: '2028-02-29' },
  { name: 'the day after the spring DST change, evening', instant: '2027-03-15T04:30:00Z', today: '2027-03-14' },
  { name: 'the day after the autumn DST change, evening', instant: '2026-11-02T05:30:00Z', today: '2026-11-01' },
];

describe("the center's calendar", () => {
  for (const c of INSTANTS) {
    it(`${c.name} is ${c.today} in Nashville`, () => {
      expect(dayIn(at(c.instant), CHICAGO)).toBe(c.today);
    });
  }

  it('days start at local midnight, also across DST changes', () => {
    expect(startOfDay('2026-12-05', CHICAGO).toISOString()).toBe('2026-12-05T06:00:00.000Z');
    expect(startOfDay('2026-07-04', CHICAGO).toISOString()).toBe('2026-07-04T05:00:00.000Z');
    // 8 March 2026: clocks go forward at 02:00; the day still starts at 00:00 CST.
    expect(startOfDay('2026-03-08', CHICAGO).toISOString()).toBe('2026-03-08T06:00:00.000Z');
    expect(startOfDay('2026-03-09', CHICAGO).toISOString()).toBe('2026-03-09T05:00:00.000Z');
    expect(startOfDay('2026-11-01', CHICAGO).toISOString()).toBe('2026-11-01T05:00:00.000Z');
    expect(startOfDay('2026-11-02', CHICAGO).toISOString()).toBe('2026-11-02T06:00:00.000Z');
  });

  it('day arithmetic, real dates, anniversaries (29 February → 1 March)', () => {
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2027-01-01', -1)).toBe('2026-12-31');
    expect(daysBetween('2026-12-05', '2027-01-04')).toBe(30);
    expect(isCalendarDay('2027-02-29')).toBe(false);
    expect(isCalendarDay('2028-02-29')).toBe(true);
    expect(anniversary('2010-02-28', 18)).toBe('2028-02-28');
    expect(anniversary('2008-02-29', 18)).toBe('2026-03-01');
    expect(anniversary('2012-02-29', 16)).toBe('2028-02-29');
  });
});

describe('ages', () => {
  it('a birthday counts on its own day of the center calendar, not the UTC date', () => {
    // Turns 18 on 6 December 2026. At 23:30 on the 5th in Nashville it is already the 6th in UTC.
    const dob = '2008-12-06';
    for (const c of INSTANTS.filter((i) => i.today === '2026-12-05')) {
      expect(ageOn(dob, dayIn(at(c.instant), CHICAGO)), c.name).toBe(17);
    }
    expect(ageOn(dob, '2026-12-06')).toBe(18);
    expect(eighteenthBirthday(dob)).toBe('2026-12-06');
  });

  it('a child born on 29 February is 17 on 28 February and 18 on 1 March', () => {
    expect(ageOn('2008-02-29', '2026-02-28')).toBe(17);
    expect(ageOn('2008-02-29', '2026-03-01')).toBe(18);
    expect(ageOn('2010-02-28', '2028-02-28')).toBe(18);
    expect(ageOn('2010-03-01', '2028-02-29')).toBe(17);
  });

  it('a protection ending on the center’s today is in force through the whole of that day', () => {
    const p = { startsOn: '2026-01-01', endsOn: '2026-12-05', revoked: false };
    for (const c of INSTANTS.filter((i) => i.today === '2026-12-05')) expect(inForce(p, dayIn(at(c.instant), CHICAGO)), c.name).toBe(true);
    expect(inForce(p, '2026-12-06')).toBe(false);
  });
});

const assertion = (dob: string | null, basis: DobAssertion['basis'], recordedAt: string, source = 'report R-1'): DobAssertion => ({
  dob,
  basis,
  recordedAt: new Date(recordedAt),
  source,
});

describe('who counts as a minor', () => {
  const today = '2026-12-05';

  it('a later claim of being a child is not lost behind an earlier estimate of an adult', () => {
    const verdict = ageVerdict(
      [
        assertion('1995-01-01', 'estimated', '2026-10-01T10:00:00Z'),
        assertion('2010-06-01', 'claimed', '2026-11-01T10:00:00Z', 'report R-2'),
      ],
      null,
      today,
    );
    expect(verdict.minor).toBe(true);
    expect(verdict.because).toContain('claimed date of birth 2010-06-01 (report R-2)');
  });

  it('no date of birth at all is unknown (and the gate treats it as a minor); adults by every assertion are adults', () => {
    expect(ageVerdict([assertion(null, 'unknown', '2026-10-01T10:00:00Z')], null, today).minor).toBe('unknown');
    expect(ageVerdict([], null, today).minor).toBe('unknown');
    expect(
      ageVerdict(
        [assertion('1990-01-01', 'exact', '2026-10-01T10:00:00Z'), assertion(null, 'unknown', '2026-11-01T10:00:00Z')],
        null,
        today,
      ).minor,
    ).toBe(false);
  });

  it("a legal reviewer's determination settles it; a claim made after it opens the question again", () => {
    const claims = [assertion('2010-06-01', 'claimed', '2026-10-01T10:00:00Z')];
    const adultFound: AgeDetermination = { dob: '2004-06-01', basis: 'documents', determinedAt: new Date('2026-11-01T10:00:00Z') };
    expect(ageVerdict(claims, adultFound, today)).toMatchObject({ minor: false, determination: adultFound });
    const later = [...claims, assertion('2011-01-01', 'claimed', '2026-11-20T10:00:00Z', 'report R-3')];
    expect(ageVerdict(later, adultFound, today)).toMatchObject({
      minor: true,
      because: expect.stringContaining('after the age determination'),
    });
    const minorFound: AgeDetermination = { ...adultFound, dob: '2009-12-06' };
    expect(ageVerdict(claims, minorFound, today).minor).toBe(true);
    expect(ageVerdict(claims, minorFound, '2027-12-06').minor).toBe(false);
  });
});

/** The gate's input about one subject, from assertions on the center's calendar at an instant. */
function enforcementAbout(verdict: ReturnType<typeof ageVerdict>): GateInput {
  return {
    purpose: 'enforcement',
    caseType: 'enforcement_lead',
    subjects: [{ personId: 'p', name: 'P', minor: verdict.minor, ageBecause: verdict.because, protections: [] }],
    reports: [{ reportId: 'r', reference: 'R-1', sourceReliability: 'A', informationCredibility: 1 }],
    hasVerifiedLocation: true,
    welfareScreeningComplete: true,
  };
}

describe('property: no enforcement referral about a possible minor is sent without a legal reviewer', () => {
  const day = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2030, 11, 31) }).map((ms) => new Date(ms).toISOString().slice(0, 10));
  const instant = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 11, 31) }).map((ms) => new Date(ms));
  const basis = fc.constantFrom('exact', 'estimated', 'claimed', 'unknown') as fc.Arbitrary<DobAssertion['basis']>;
  const dobAssertion = fc
    .record({ dob: day, basis, recordedAt: instant })
    .map(
      (a): DobAssertion => ({ dob: a.basis === 'unknown' ? null : a.dob, basis: a.basis, recordedAt: a.recordedAt, source: 'generated' }),
    );
  const determination = fc.option(
    fc.record({ dob: day, basis: fc.constantFrom('documents', 'age_assessment', 'court_finding' as const), determinedAt: instant }),
    { nil: null },
  );

  it('for random date-of-birth assertions, determinations and instants, on the center calendar', () => {
    fc.assert(
      fc.property(fc.array(dobAssertion, { maxLength: 6 }), determination, instant, (assertions, found, now) => {
        const today = dayIn(now, CHICAGO);
        const verdict = ageVerdict(assertions, found, today);
        const decision = evaluateReferral(enforcementAbout(verdict)).decision;
        // Under 18 by anyone's word given after the last determination (or ever, without one), or by the determination itself.
        const relevant = found ? assertions.filter((a) => a.recordedAt > found.determinedAt) : assertions;
        const claimedChild = relevant.some((a) => a.dob !== null && ageOn(a.dob, today) < 18);
        const determinedChild = found !== null && ageOn(found.dob, today) < 18;
        const unknownAge = !found && relevant.every((a) => a.dob === null);
        if (claimedChild || determinedChild || unknownAge) expect(decision).not.toBe('send');
        // And the verdict never depends on the UTC date: the same day in Nashville gives the same answer at any hour.
        const sameDay = ageVerdict(assertions, found, dayIn(new Date(startOfDay(today, CHICAGO).getTime() + 86_399_000), CHICAGO));
        expect(sameDay.minor).toBe(verdict.minor);
      }),
      { numRuns: 2_000, seed: 20_261_205 },
    );
  });
});
