// Over 500 lines: the synthetic name, place and story tables the demo draws from; data, not logic.
import { type CaseType, type CloseReason, type Priority, UNIT_OF, type Unit } from '../cases/case-workflow.js';
import type { ProtectionKind } from '../safeguards/protections.js';
import type { ScreeningQuestion } from '../safeguards/welfare-screening.js';
import { type Random, seededRandom } from './random.js';

/**
 * Synthetic people and the story of each demo case, for demos and tests. Every
 * name is drawn at random from common given and family names, so no record
 * describes a real person. The same seed and reference date always give the
 * same data.
 *
 * A case is not a row with a status: it is a report taken on a day and what
 * staff then did with it — triage, the welfare screening of a child, a
 * protection recorded, a referral drafted and submitted, a legal review, a
 * location verified, the case closed — each at its time, all before the
 * reference date. The seed (services/demo-seed.service.ts) plays these
 * actions through the same services as real work, so every status a demo case
 * ends in is one the product's rules let it reach: a referral the gate blocks
 * stays a draft, one it holds waits for a legal reviewer, and the reviewer's
 * decision is planned here but only taken if the gate did hold it.
 */

export type SyntheticPerson = {
  key: string;
  givenNames: string;
  familyName1: string;
  familyName2: string | null;
  dob: string;
  dobBasis: 'exact' | 'estimated' | 'claimed';
  sex: 'female' | 'male';
  nationality: string;
  aNumber: string | null;
};

/** What the reporter could say about a place: a street address, or only the town. */
export type SyntheticAddress = { line1: string | null; city: string; county: string; state: string; zip: string | null };

export type SyntheticLocation = {
  personKey: string;
  address: SyntheticAddress;
  /** When the person was seen there: before the report that tells of it. */
  observedAt: string;
  confidence: 'low' | 'medium' | 'high';
};

export type SyntheticReport = {
  source: 'public' | 'anonymous' | 'partner_officer';
  /** 555-01xx numbers are reserved for fiction. */
  reporterPhone: string | null;
  /** A partner officer's name and badge (the service names their agency from the registry, in the case's state). */
  officer: { name: string; badge: string } | null;
  reliability: 'A' | 'B' | 'C' | 'D' | 'E' | 'F';
  credibility: number;
  language: 'en' | 'es';
};

export type ReferralPurpose = 'enforcement' | 'location_information' | 'welfare';

/** One thing staff did to a case, at its time. Conditional actions are taken only if the case is in the state they need. */
export type StoryAction =
  | { kind: 'triage'; at: string }
  | { kind: 'screen'; at: string; personKey: string; indicators: ScreeningQuestion[] }
  | { kind: 'activate'; at: string }
  | {
      kind: 'protect';
      at: string;
      personKey: string;
      protection: { kind: ProtectionKind; source: string; reference: string; startedDaysBefore: number; verified: boolean };
    }
  | { kind: 'draft_referral'; at: string; purpose: ReferralPurpose; notes: string }
  | { kind: 'submit_referral'; at: string }
  /** Taken only if the gate held the referral for legal review. */
  | { kind: 'review_referral'; at: string; decision: 'approve' | 'deny'; justification: string }
  /** Taken only if the gate blocked the referral for want of corroboration: a supervisor verifies where the subject was seen… */
  | { kind: 'verify_location'; at: string; personKey: string }
  /** …and the author submits the same draft again. */
  | { kind: 'resubmit_referral'; at: string }
  | { kind: 'close'; at: string; reason: CloseReason };

export type SyntheticCase = {
  key: string;
  type: CaseType;
  priority: Priority;
  unit: Unit;
  summary: string;
  state: string;
  county: string;
  /** When the report came in and the case was opened. */
  openedAt: string;
  report: SyntheticReport;
  subjects: { personKey: string; role: 'subject' | 'child' | 'sponsor' }[];
  locations: SyntheticLocation[];
  /** What happened to the case after intake, in time order, all before the reference date. */
  story: StoryAction[];
};

export type SyntheticDataset = { persons: SyntheticPerson[]; cases: SyntheticCase[] };

export const GIVEN_FEMALE = [
  'María',
  'Ana',
  'Lucía',
  'Sofía',
  'Valeria',
  'Camila',
  'Fernanda',
  'Gabriela',
  'Rosa',
  'Carmen',
  'Daniela',
  'Isabel',
  'Juana',
  'Elena',
  'Paola',
  'Andrea',
  'Yesenia',
  'Karla',
  'Mónica',
  'Beatriz',
];
export const GIVEN_MALE = [
  'José',
  'Juan',
  'Luis',
  'Carlos',
  'Miguel',
  'Jorge',
  'Pedro',
  'Francisco',
  'Diego',
  'Andrés',
  'Mateo',
  'Santiago',
  'Óscar',
  'Ramón',
  'Héctor',
  'Mario',
  'Ernesto',
  'Alejandro',
  'Byron',
  'Edwin',
];
export const FAMILY = [
  'García',
  'Hernández',
  'López',
  'Martínez',
  'González',
  'Pérez',
  'Rodríguez',
  'Sánchez',
  'Ramírez',
  'Cruz',
  'Flores',
  'Morales',
  'Reyes',
  'Gómez',
  'Díaz',
  'Vásquez',
  'Castillo',
  'Ortiz',
  'Chávez',
  'Mejía',
  'Juárez',
  'Xicará',
  'Tzoc',
  'Coj',
  'Batz',
  'Ajú',
  'Quiñónez',
  'Aguilar',
  'Mendoza',
  'Ruiz',
];
const OFFICER_NAMES = ['Dana Whitfield', 'Marcus Bell', 'Erin Castellanos', 'Tom Okafor', 'Priya Raman', 'Luis Ortega', 'Kim Tran'];
const NATIONALITIES = ['GT', 'GT', 'GT', 'HN', 'HN', 'SV', 'SV', 'MX', 'MX', 'EC', 'NI', 'VE', 'CO'];
const STREETS = [
  'Oak',
  'Maple',
  'Cedar',
  'Pine',
  'Elm',
  'Walnut',
  'Willow',
  'Lakeview',
  'Hillcrest',
  'Sunset',
  'Park',
  'Mission',
  'River',
  'Meadow',
  'Highland',
];
const STREET_KINDS = ['St', 'Ave', 'Dr', 'Ln', 'Rd', 'Ct', 'Blvd'];
/** Real places (public facts) so that areas of responsibility resolve; street addresses are invented. */
const PLACES: readonly { city: string; county: string; state: string; zip: string }[] = [
  { city: 'Nashville', county: 'Davidson', state: 'TN', zip: '37211' },
  { city: 'Houston', county: 'Harris', state: 'TX', zip: '77036' },
  { city: 'McAllen', county: 'Hidalgo', state: 'TX', zip: '78501' },
  { city: 'Dallas', county: 'Dallas', state: 'TX', zip: '75211' },
  { city: 'San Antonio', county: 'Bexar', state: 'TX', zip: '78207' },
  { city: 'El Paso', county: 'El Paso', state: 'TX', zip: '79905' },
  { city: 'Los Angeles', county: 'Los Angeles', state: 'CA', zip: '90011' },
  { city: 'San Diego', county: 'San Diego', state: 'CA', zip: '92113' },
  { city: 'Fresno', county: 'Fresno', state: 'CA', zip: '93706' },
  { city: 'Hempstead', county: 'Nassau', state: 'NY', zip: '11550' },
  { city: 'Rochester', county: 'Monroe', state: 'NY', zip: '14621' },
  { city: 'Miami', county: 'Miami-Dade', state: 'FL', zip: '33125' },
  { city: 'Atlanta', county: 'Fulton', state: 'GA', zip: '30315' },
  { city: 'Charlotte', county: 'Mecklenburg', state: 'NC', zip: '28205' },
  { city: 'Omaha', county: 'Douglas', state: 'NE', zip: '68107' },
  { city: 'Phoenix', county: 'Maricopa', state: 'AZ', zip: '85009' },
  { city: 'Denver', county: 'Denver', state: 'CO', zip: '80219' },
  { city: 'Newark', county: 'Essex', state: 'NJ', zip: '07105' },
  { city: 'Chicago', county: 'Cook', state: 'IL', zip: '60623' },
  { city: 'Salt Lake City', county: 'Salt Lake', state: 'UT', zip: '84104' },
];
const SUMMARIES: Record<CaseType, readonly string[]> = {
  enforcement_lead: [
    'Caller reports a person believed to have a final order of removal living at an address.',
    'Tip about a person previously removed, seen at a workplace.',
  ],
  uac_location: [
    'Child released to a sponsor; the sponsor no longer answers at the address on file.',
    'School reports a child has stopped attending; last known address given.',
  ],
  uac_welfare: ['Concern that a child is working long hours at a job site.', 'Neighbor reports a child left alone for days.'],
  partner_referral: ['Partner agency reports an encounter during a traffic stop.', 'Jail booking notification from a partner agency.'],
  hit_confirmation: ['Partner officer requests confirmation of an identity match.'],
  general_tip: ['General tip with no identifying details.', 'Caller asks about a family member in custody.'],
};
/** What a positive screening found, by the kind of concern. */
const INDICATORS: Record<'uac_location' | 'uac_welfare', readonly ScreeningQuestion[]> = {
  uac_location: ['missing_from_sponsor', 'unsafe_sponsor_placement', 'trafficking_indicators'],
  uac_welfare: ['labour_exploitation', 'abuse_or_neglect', 'unsafe_sponsor_placement', 'urgent_medical_need'],
};
const ADULT_PROTECTIONS: readonly { kind: ProtectionKind; source: string; prefix: string }[] = [
  { kind: 'asylum_pending', source: 'USCIS receipt notice', prefix: 'ZLA' },
  { kind: 'court_case_pending', source: 'EOIR automated case information', prefix: 'EOIR' },
  { kind: 'u_visa_pending', source: 'USCIS receipt notice', prefix: 'EAC' },
];
const CHILD_PROTECTIONS: readonly { kind: ProtectionKind; source: string; prefix: string }[] = [
  { kind: 'sijs_pending', source: 'USCIS receipt notice', prefix: 'IOE' },
  { kind: 'court_case_pending', source: 'EOIR automated case information', prefix: 'EOIR' },
];
/** A legal reviewer's written decisions on a held referral, about an adult (held for a protection or an uncertain age) or a child. */
const DECISIONS = {
  adult: {
    approve: [
      'Reviewed the gate reasons: the referral asks the field office to confirm a location only; no custody action is requested without a further review.',
      'The protection on file does not bar confirming a location; the packet carries no reporter identity. Approved for location confirmation only.',
    ],
    deny: [
      'Denied: the pending case in immigration court must be decided first; keep the case active and revisit after the next hearing.',
      'Denied: the age evidence is not settled; record an age determination before any disclosure to a field office.',
    ],
  },
  child: {
    approve: [
      'The subject is a child: approved so the field office can coordinate a welfare visit with ORR and the state child protective services.',
      'Approved for a welfare visit only, coordinated with ORR; no enforcement action may follow from this referral.',
    ],
    deny: [
      'Denied: the information is about a child and does not justify a disclosure to a field office; route through ORR instead.',
      'Denied: the welfare referrals already made cover the concern; a field office has no role here.',
    ],
  },
} as const;

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const iso = (ms: number): string => new Date(ms).toISOString();

function person(random: Random, key: string, asOf: number, ageYears: [number, number]): SyntheticPerson {
  const sex = random.chance(0.5) ? 'female' : 'male';
  const given = sex === 'female' ? GIVEN_FEMALE : GIVEN_MALE;
  const twoGiven = random.chance(0.4);
  const ageDays = random.int(ageYears[0] * 365, ageYears[1] * 365 + 364);
  const basis = random.pick(['exact', 'exact', 'exact', 'estimated', 'claimed'] as const);
  return {
    key,
    givenNames: twoGiven ? `${random.pick(given)} ${random.pick(given)}` : random.pick(given),
    familyName1: random.pick(FAMILY),
    familyName2: random.chance(0.8) ? random.pick(FAMILY) : null,
    dob: isoDate(asOf - ageDays * DAY),
    dobBasis: basis,
    sex,
    nationality: random.pick(NATIONALITIES),
    aNumber: random.chance(0.6) ? String(random.int(200_000_000, 249_999_999)) : null,
  };
}

export type DatasetSize = { cases: number };
type Target = 'new' | 'triage' | 'active' | 'referred' | 'closed';

/** Generates the demo dataset; `asOf` anchors ages and dates so a seed reproduces the same records. */
export function generateDataset(seed: number, asOf: Date, size: DatasetSize = { cases: 120 }): SyntheticDataset {
  const random = seededRandom(seed);
  const now = asOf.getTime();
  const persons: SyntheticPerson[] = [];
  const cases: SyntheticCase[] = [];
  const aNumbers = new Set<string>();
  const addPerson = (ages: [number, number]): SyntheticPerson => {
    const p = person(random, `p${persons.length + 1}`, now, ages);
    if (p.aNumber && aNumbers.has(p.aNumber)) p.aNumber = null;
    if (p.aNumber) aNumbers.add(p.aNumber);
    persons.push(p);
    return p;
  };
  const types: CaseType[] = [
    'enforcement_lead',
    'enforcement_lead',
    'uac_location',
    'uac_location',
    'uac_welfare',
    'partner_referral',
    'partner_referral',
    'hit_confirmation',
    'general_tip',
  ];
  for (let i = 1; i <= size.cases; i++) {
    const type = random.pick(types);
    const place = random.pick(PLACES);
    const daysAgo = random.int(0, 120);
    const openedAt = now - daysAgo * DAY - random.int(HOUR, DAY - 1);
    const target: Target = daysAgo < 3 ? 'new' : random.pick(['triage', 'active', 'active', 'referred', 'closed'] as const);
    const uac = type === 'uac_location' || type === 'uac_welfare';
    const partner = type === 'partner_referral' || type === 'hit_confirmation';

    const subjects: SyntheticCase['subjects'] = [];
    const locations: SyntheticLocation[] = [];
    const observe = (p: SyntheticPerson, where: (typeof PLACES)[number], before: number): void => {
      const street = random.chance(0.8);
      locations.push({
        personKey: p.key,
        address: {
          line1: street ? `${random.int(100, 9899)} ${random.pick(STREETS)} ${random.pick(STREET_KINDS)}` : null,
          city: where.city,
          county: where.county,
          state: where.state,
          zip: street || random.chance(0.5) ? where.zip : null,
        },
        observedAt: iso(openedAt - before - random.int(10 * MINUTE, 12 * HOUR)),
        confidence: random.pick(['low', 'medium', 'medium', 'high'] as const),
      });
    };
    if (uac) {
      const child = addPerson([8, 17]);
      subjects.push({ personKey: child.key, role: 'child' });
      observe(child, place, random.int(0, 30) * DAY);
      if (random.chance(0.7)) {
        const sponsor = addPerson([22, 55]);
        subjects.push({ personKey: sponsor.key, role: 'sponsor' });
        observe(sponsor, place, random.int(0, 30) * DAY);
      }
    } else if (type !== 'general_tip' || random.chance(0.5)) {
      const subject = addPerson([18, 60]);
      subjects.push({ personKey: subject.key, role: 'subject' });
      observe(subject, place, 0);
      if (random.chance(0.3)) observe(subject, random.pick(PLACES), random.int(5, 200) * DAY);
    }

    // A case headed for a referral was usually opened on a report good enough to ground one; the rest are whatever came in.
    const wellGraded = target === 'referred' ? random.chance(0.65) : random.chance(0.3);
    const report: SyntheticReport = partner
      ? {
          source: 'partner_officer',
          reporterPhone: null,
          officer: { name: random.pick(OFFICER_NAMES), badge: String(random.int(1000, 9999)) },
          reliability: wellGraded ? random.pick(['B', 'C'] as const) : 'D',
          credibility: wellGraded ? random.int(2, 3) : 4,
          language: 'en',
        }
      : !wellGraded && random.chance(0.45)
        ? {
            source: 'anonymous',
            reporterPhone: null,
            officer: null,
            reliability: 'F',
            credibility: 6,
            language: random.pick(['en', 'es'] as const),
          }
        : {
            source: 'public',
            reporterPhone: `+1615555${String(random.int(150, 199)).padStart(4, '0')}`,
            officer: null,
            reliability: wellGraded ? random.pick(['B', 'C'] as const) : random.pick(['C', 'D', 'E'] as const),
            credibility: wellGraded ? random.int(2, 3) : random.int(4, 5),
            language: random.pick(['en', 'es'] as const),
          };

    const story = planStory(random, { type, uac, target, openedAt, subjects, asOf: now });
    cases.push({
      key: `k${i}`,
      type,
      priority: type === 'uac_welfare' ? 'high' : random.pick(['low', 'normal', 'normal', 'high'] as const),
      unit: UNIT_OF[type],
      summary: random.pick(SUMMARIES[type]),
      state: place.state,
      county: place.county,
      openedAt: iso(openedAt),
      report,
      subjects,
      locations,
      story,
    });
  }
  return { persons, cases };
}

/** The actions that take a case towards its target, each a realistic while after the last; those past `asOf` never happened. */
function planStory(
  random: Random,
  c: { type: CaseType; uac: boolean; target: Target; openedAt: number; subjects: SyntheticCase['subjects']; asOf: number },
): StoryAction[] {
  const story: StoryAction[] = [];
  let t = c.openedAt;
  const after = (min: number, max: number): string => {
    t += random.int(min, max);
    return iso(t);
  };
  const child = c.subjects.find((s) => s.role === 'child');
  const adult = c.subjects.find((s) => s.role === 'subject');
  const referable = c.subjects.length > 0;
  const target: Target = c.target === 'referred' && !referable ? 'active' : c.target;
  if (target === 'new') return story;

  story.push({ kind: 'triage', at: after(20 * MINUTE, 8 * HOUR) });
  if (target === 'triage') return truncate(story, c.asOf);

  const quickClose = target === 'closed' && !c.uac && random.chance(0.4);
  if (quickClose) {
    story.push({ kind: 'close', at: after(2 * HOUR, 5 * DAY), reason: random.pick(['unsubstantiated', 'duplicate'] as const) });
    return truncate(story, c.asOf);
  }
  // Every case about a child is screened before anyone works it further (TVPRA).
  if (c.uac && child) {
    const positive = random.chance(c.type === 'uac_welfare' ? 0.6 : 0.35);
    const pool = INDICATORS[c.type === 'uac_welfare' ? 'uac_welfare' : 'uac_location'];
    const indicators = positive ? [...new Set([random.pick(pool), ...(random.chance(0.3) ? [random.pick(pool)] : [])])] : [];
    story.push({ kind: 'screen', at: after(HOUR, 36 * HOUR), personKey: child.personKey, indicators });
  }
  story.push({ kind: 'activate', at: after(10 * MINUTE, 24 * HOUR) });
  if (c.uac && child && random.chance(0.25)) {
    const p = random.pick(CHILD_PROTECTIONS);
    story.push({
      kind: 'protect',
      at: after(HOUR, 48 * HOUR),
      personKey: child.personKey,
      protection: {
        kind: p.kind,
        source: p.source,
        reference: `${p.prefix}${random.int(1_000_000, 9_999_999)}`,
        startedDaysBefore: random.int(20, 400),
        verified: true,
      },
    });
  }
  if (target === 'active') return truncate(story, c.asOf);
  if (target === 'closed') {
    story.push({ kind: 'close', at: after(DAY, 20 * DAY), reason: random.pick(['resolved', 'resolved', 'no_jurisdiction'] as const) });
    return truncate(story, c.asOf);
  }

  // target === 'referred': a referral drafted and submitted; what the gate says decides what follows.
  if (!c.uac && adult && random.chance(0.2)) {
    const p = random.pick(ADULT_PROTECTIONS);
    story.push({
      kind: 'protect',
      at: after(HOUR, 48 * HOUR),
      personKey: adult.personKey,
      protection: {
        kind: p.kind,
        source: p.source,
        reference: `${p.prefix}${random.int(1_000_000, 9_999_999)}`,
        startedDaysBefore: random.int(30, 700),
        verified: random.chance(0.7),
      },
    });
  }
  const purpose: ReferralPurpose =
    c.type === 'uac_welfare'
      ? 'welfare'
      : c.type === 'uac_location' || c.type === 'hit_confirmation'
        ? 'location_information'
        : 'enforcement';
  story.push({
    kind: 'draft_referral',
    at: after(2 * HOUR, 5 * DAY),
    purpose,
    notes: c.uac ? 'Please coordinate with ORR before any contact.' : 'Subject last seen at the address on the report.',
  });
  story.push({ kind: 'submit_referral', at: after(5 * MINUTE, HOUR) });
  // Most held referrals are decided within a day or so; some still wait in the legal reviewer's queue.
  const approve = random.chance(0.75);
  const reviewed = random.chance(0.65);
  const justification = random.pick(DECISIONS[c.uac ? 'child' : 'adult'][approve ? 'approve' : 'deny']);
  if (reviewed)
    story.push({ kind: 'review_referral', at: after(2 * HOUR, 30 * HOUR), decision: approve ? 'approve' : 'deny', justification });
  if (adult && random.chance(0.5)) {
    story.push({ kind: 'verify_location', at: after(DAY, 6 * DAY), personKey: adult.personKey });
    story.push({ kind: 'resubmit_referral', at: after(10 * MINUTE, 3 * HOUR) });
  }
  return truncate(story, c.asOf);
}

/** What had happened by `asOf`: the story up to its first action after that instant. */
function truncate(story: StoryAction[], asOf: number): StoryAction[] {
  const cut = story.findIndex((a) => Date.parse(a.at) > asOf);
  return cut === -1 ? story : story.slice(0, cut);
}
