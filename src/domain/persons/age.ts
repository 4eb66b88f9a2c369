import { anniversary, type CalendarDay } from '../calendar/calendar-day.js';

/**
 * Ages on the center's calendar, and who counts as a minor.
 *
 * Every date of birth anyone gave for a person — exact, estimated or claimed,
 * on any report or any record merged into theirs — is kept as an assertion with
 * its source. Until a legal reviewer records an age determination (with its
 * basis: documents, an age assessment, a court finding), a person is a
 * possible minor if any assertion makes them under 18 today: a later claim of
 * being a child is never lost behind an earlier estimate of an adult. A claim
 * made after the determination opens the question again.
 */

export type DobBasis = 'exact' | 'estimated' | 'claimed' | 'unknown';

/** Whole years between a date of birth and a day on the center's calendar, as a birthday counts them. */
export function ageOn(dob: CalendarDay, today: CalendarDay): number {
  const [y, m, d] = dob.split('-').map(Number);
  const [ty, tm, td] = today.split('-').map(Number);
  if (y === undefined || m === undefined || d === undefined || ty === undefined || tm === undefined || td === undefined)
    throw new Error(`not a date: ${dob} / ${today}`);
  // A 29 February birthday counts on 1 March in other years (anniversary), so the child is never aged early.
  return today >= anniversary(dob, ty - y) ? ty - y : ty - y - 1;
}

/** The day a person born on `dob` turns 18 on the center's calendar (29 February → 1 March). */
export const eighteenthBirthday = (dob: CalendarDay): CalendarDay => anniversary(dob, 18);

/** One date of birth someone gave for a person, and where it came from. */
export type DobAssertion = {
  dob: CalendarDay | null;
  basis: DobBasis;
  recordedAt: Date;
  /** Words for a reason or the person page: "report R-2026-000012", "the record". */
  source: string;
};

export const AGE_DETERMINATION_BASES = ['documents', 'age_assessment', 'court_finding'] as const;
export type AgeDeterminationBasis = (typeof AGE_DETERMINATION_BASES)[number];

/** A legal reviewer's finding of a person's date of birth, with its basis. */
export type AgeDetermination = {
  dob: CalendarDay;
  basis: AgeDeterminationBasis;
  determinedAt: Date;
};

export type AgeVerdict = {
  /** true: a minor or possible minor; 'unknown': no date of birth at all (counts as a minor for the gate). */
  minor: boolean | 'unknown';
  /** Why, in words that name the evidence. */
  because: string;
  /** The assertions that make the person under 18 today (empty when a determination decides). */
  claims: DobAssertion[];
  /** The determination that decides, if there is one and no later claim reopened it. */
  determination: AgeDetermination | null;
};

const under18 = (a: DobAssertion, today: CalendarDay): boolean => a.dob !== null && a.basis !== 'unknown' && ageOn(a.dob, today) < 18;
const describe = (a: DobAssertion): string => `${a.basis} date of birth ${a.dob ?? 'unknown'} (${a.source})`;

/**
 * Whether a person is to be treated as a minor today, from every date-of-birth
 * assertion on their records and the latest age determination.
 */
export function ageVerdict(assertions: readonly DobAssertion[], latest: AgeDetermination | null, today: CalendarDay): AgeVerdict {
  const relevant = latest ? assertions.filter((a) => a.recordedAt.getTime() > latest.determinedAt.getTime()) : assertions;
  const claims = relevant.filter((a) => under18(a, today));
  if (claims.length > 0) {
    const first = claims[0] as DobAssertion;
    return {
      minor: true,
      because: latest
        ? `${describe(first)} given after the age determination makes them under 18`
        : `${describe(first)} makes them under 18${claims.length > 1 ? ` (and ${claims.length - 1} more)` : ''}`,
      claims,
      determination: null,
    };
  }
  if (latest) {
    const minor = ageOn(latest.dob, today) < 18;
    return {
      minor,
      because: `age determined by a legal reviewer (${latest.basis.replace('_', ' ')}): born ${latest.dob}`,
      claims: [],
      determination: latest,
    };
  }
  const known = assertions.filter((a) => a.dob !== null && a.basis !== 'unknown');
  if (known.length === 0) return { minor: 'unknown', because: 'no date of birth is known', claims: [], determination: null };
  return { minor: false, because: `every date of birth given makes them 18 or over`, claims: [], determination: null };
}

/** A single record's own date of birth as a verdict (no other assertions known). */
export function isMinorOn(person: { dob: CalendarDay | null; dobBasis: DobBasis | string }, today: CalendarDay): boolean | 'unknown' {
  if (!person.dob || person.dobBasis === 'unknown') return 'unknown';
  return ageOn(person.dob, today) < 18;
}
