import { UNIT_OF, type Unit } from '../cases/case-workflow.js';
import { type Random, seededRandom } from './random.js';

/**
 * Synthetic people, locations and cases for demos and tests. Every name is
 * drawn at random from common given and family names, so no record describes a
 * real person. The same seed and reference date always give the same data.
 */

export type SyntheticPerson = {
  key: string;
  givenNames: string;
  familyName1: string;
  familyName2: string | null;
  dob: string | null;
  dobBasis: 'exact' | 'estimated' | 'claimed' | 'unknown';
  sex: 'female' | 'male';
  nationality: string;
  aNumber: string | null;
};

export type SyntheticLocation = {
  personKey: string;
  line1: string;
  city: string;
  county: string;
  state: string;
  zip: string;
  precision: 'rooftop' | 'zip' | 'city';
  source: string;
  confidence: 'low' | 'medium' | 'high';
  observedAt: string;
  reportedAt: string;
};

export type SyntheticCase = {
  caseNumber: string;
  type: 'enforcement_lead' | 'uac_location' | 'uac_welfare' | 'partner_referral' | 'hit_confirmation' | 'general_tip';
  status: 'new' | 'triage' | 'active' | 'referred' | 'closed';
  priority: 'low' | 'normal' | 'high' | 'urgent';
  unit: Unit;
  /** Closed cases say why. */
  statusReason: string | null;
  /** The report the case was opened from: graded, synthetic. */
  report: {
    source: 'public' | 'anonymous';
    reporterPhone: string | null;
    reliability: 'A' | 'B' | 'C' | 'D' | 'E' | 'F';
    credibility: number;
  };
  state: string;
  county: string;
  summary: string;
  createdAt: string;
  subjects: { personKey: string; role: 'subject' | 'child' | 'sponsor' | 'guardian' }[];
};

export type SyntheticDataset = { persons: SyntheticPerson[]; locations: SyntheticLocation[]; cases: SyntheticCase[] };

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
const SOURCES = ['public caller', 'partner officer report', 'partner submission', 'web tip', 'field office update'];
const SUMMARIES: Record<SyntheticCase['type'], readonly string[]> = {
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

const DAY = 86_400_000;
const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

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

/** Generates the demo dataset; `asOf` anchors ages and dates so a seed reproduces the same records. */
export function generateDataset(seed: number, asOf: Date, size: DatasetSize = { cases: 120 }): SyntheticDataset {
  const random = seededRandom(seed);
  const now = asOf.getTime();
  const persons: SyntheticPerson[] = [];
  const locations: SyntheticLocation[] = [];
  const cases: SyntheticCase[] = [];
  const aNumbers = new Set<string>();
  const addPerson = (ages: [number, number]): SyntheticPerson => {
    const p = person(random, `p${persons.length + 1}`, now, ages);
    if (p.aNumber && aNumbers.has(p.aNumber)) p.aNumber = null;
    if (p.aNumber) aNumbers.add(p.aNumber);
    persons.push(p);
    return p;
  };
  const observe = (p: SyntheticPerson, place: (typeof PLACES)[number], daysAgo: number): void => {
    const observedAt = now - daysAgo * DAY - random.int(0, DAY - 1);
    locations.push({
      personKey: p.key,
      line1: `${random.int(100, 9899)} ${random.pick(STREETS)} ${random.pick(STREET_KINDS)}`,
      city: place.city,
      county: place.county,
      state: place.state,
      zip: place.zip,
      precision: random.pick(['rooftop', 'rooftop', 'zip', 'city'] as const),
      source: random.pick(SOURCES),
      confidence: random.pick(['low', 'medium', 'medium', 'high'] as const),
      observedAt: new Date(observedAt).toISOString(),
      reportedAt: new Date(observedAt + random.int(0, 3) * DAY).toISOString(),
    });
  };
  const types: SyntheticCase['type'][] = [
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
  const year = new Date(now).getUTCFullYear();
  for (let i = 1; i <= size.cases; i++) {
    const type = random.pick(types);
    const place = random.pick(PLACES);
    const daysAgo = random.int(0, 120);
    const subjects: SyntheticCase['subjects'] = [];
    if (type === 'uac_location' || type === 'uac_welfare') {
      const child = addPerson([8, 17]);
      subjects.push({ personKey: child.key, role: 'child' });
      observe(child, place, daysAgo + random.int(0, 30));
      if (random.chance(0.7)) {
        const sponsor = addPerson([22, 55]);
        subjects.push({ personKey: sponsor.key, role: 'sponsor' });
        observe(sponsor, place, daysAgo + random.int(0, 30));
      }
    } else if (type !== 'general_tip' || random.chance(0.5)) {
      const subject = addPerson([18, 60]);
      subjects.push({ personKey: subject.key, role: 'subject' });
      observe(subject, place, daysAgo);
      if (random.chance(0.3)) observe(subject, random.pick(PLACES), daysAgo + random.int(5, 200));
    }
    const status = daysAgo < 3 ? 'new' : random.pick(['triage', 'active', 'active', 'referred', 'closed'] as const);
    cases.push({
      caseNumber: `SB-${year}-${String(i).padStart(6, '0')}`,
      type,
      status,
      priority: type === 'uac_welfare' ? 'high' : random.pick(['low', 'normal', 'normal', 'high'] as const),
      unit: UNIT_OF[type],
      statusReason: status === 'closed' ? random.pick(['resolved', 'unsubstantiated', 'duplicate'] as const) : null,
      report: random.chance(0.3)
        ? { source: 'anonymous', reporterPhone: null, reliability: 'F', credibility: 6 }
        : {
            source: 'public',
            // 555-01xx numbers are reserved for fiction; 0100–0102 are the center's own lines.
            reporterPhone: `+1615555${String(random.int(150, 199)).padStart(4, '0')}`,
            reliability: random.pick(['B', 'C', 'C', 'D', 'E'] as const),
            credibility: random.int(2, 5),
          },
      state: place.state,
      county: place.county,
      summary: random.pick(SUMMARIES[type]),
      createdAt: new Date(now - daysAgo * DAY - random.int(0, DAY - 1)).toISOString(),
      subjects,
    });
  }
  return { persons, locations, cases };
}
