import { type Random, seededRandom } from '../demo/random.js';
import { realisticNamePools } from './name-frequencies.js';
import type { MatchablePerson } from './score.js';

/**
 * Synthetic people and corrupted duplicates of some of them, the way records
 * of one person drift apart across calls, partner reports and custody files:
 * typos, spelling variants, family names swapped or one dropped, nicknames,
 * day and month of birth swapped, an estimated year, missing fields. For
 * measuring matching (precision and recall), never for demos.
 */

export type Corruption =
  | 'typo'
  | 'spelling'
  | 'swap_family'
  | 'drop_family'
  | 'nickname'
  | 'dob_swap'
  | 'dob_year'
  | 'no_dob'
  | 'no_a_number'
  | 'accents';

const NICKNAME_OF: Record<string, string> = {
  José: 'Pepe',
  Francisco: 'Paco',
  Jesús: 'Chuy',
  Ignacio: 'Nacho',
  Antonio: 'Toño',
  Guillermo: 'Memo',
  Eduardo: 'Lalo',
  Alberto: 'Beto',
  Manuel: 'Manolo',
  Rosario: 'Charo',
  Dolores: 'Lola',
  María: 'Maru',
  Alejandro: 'Alex',
};

function typo(random: Random, word: string): string {
  if (word.length < 4) return word;
  const i = random.int(1, word.length - 2);
  switch (random.int(0, 2)) {
    case 0:
      return word.slice(0, i) + word.slice(i + 1); // a letter dropped
    case 1:
      return word.slice(0, i) + (word[i + 1] ?? '') + (word[i] ?? '') + word.slice(i + 2); // two letters swapped
    default:
      return word.slice(0, i) + (word[i] ?? '') + word.slice(i); // a letter doubled
  }
}

function spelling(word: string): string {
  const swaps: [RegExp, string][] = [
    [/z/g, 's'],
    [/s/g, 'z'],
    [/v/g, 'b'],
    [/b/g, 'v'],
    [/ll/g, 'y'],
    [/^X/, 'S'],
    [/^Y/, 'J'],
    [/qu/g, 'k'],
  ];
  for (const [pattern, replacement] of swaps) if (pattern.test(word)) return word.replace(pattern, replacement);
  return word;
}

const stripAccents = (s: string) => s.normalize('NFD').replace(/\p{Diacritic}/gu, '');

export type Labelled = MatchablePerson & { id: number; duplicateOf: number | null; corruptions: Corruption[] };

export function generatePopulation(size: number, duplicateShare: number, seed: number): Labelled[] {
  const random = seededRandom(seed);
  const pools = realisticNamePools(seededRandom(seed ^ 0x5eed));
  const people: Labelled[] = [];
  const originals = Math.round(size / (1 + duplicateShare));
  for (let i = 0; i < originals; i++) {
    const sex = random.chance(0.5) ? 'female' : 'male';
    const pool = sex === 'female' ? pools.givenFemale : pools.givenMale;
    const year = random.int(1960, 2015);
    people.push({
      id: i,
      duplicateOf: null,
      corruptions: [],
      givenNames: random.chance(0.3) ? `${pool.draw(random)} ${pool.draw(random)}` : pool.draw(random),
      familyName1: pools.family.draw(random),
      familyName2: random.chance(0.85) ? pools.family.draw(random) : null,
      dob: `${year}-${String(random.int(1, 12)).padStart(2, '0')}-${String(random.int(1, 28)).padStart(2, '0')}`,
      dobBasis: random.chance(0.8) ? 'exact' : 'estimated',
      sex,
      aNumber: random.chance(0.5) ? String(random.int(100_000_000, 999_999_999)) : null,
    });
  }
  const all: Corruption[] = [
    'typo',
    'spelling',
    'swap_family',
    'drop_family',
    'nickname',
    'dob_swap',
    'dob_year',
    'no_dob',
    'no_a_number',
    'accents',
  ];
  for (let id = originals; id < size; id++) {
    const original = people[random.int(0, originals - 1)];
    if (!original) continue;
    const copy: Labelled = { ...original, id, duplicateOf: original.id, corruptions: [] };
    const count = random.int(1, 3);
    for (let c = 0; c < count; c++) {
      const corruption = random.pick(all);
      copy.corruptions.push(corruption);
      switch (corruption) {
        case 'typo':
          copy.familyName1 = typo(random, copy.familyName1);
          break;
        case 'spelling':
          copy.familyName1 = spelling(copy.familyName1);
          break;
        case 'swap_family':
          if (copy.familyName2) [copy.familyName1, copy.familyName2] = [copy.familyName2, copy.familyName1];
          break;
        case 'drop_family':
          copy.familyName2 = null;
          break;
        case 'nickname': {
          const first = copy.givenNames.split(' ')[0] ?? '';
          const nick = NICKNAME_OF[first];
          if (nick) copy.givenNames = nick;
          break;
        }
        case 'dob_swap':
          if (copy.dob) {
            const [y, m, d] = copy.dob.split('-');
            if (Number(d) <= 12) copy.dob = `${y}-${d}-${m}`;
          }
          break;
        case 'dob_year':
          if (copy.dob) copy.dob = `${Number(copy.dob.slice(0, 4)) + (random.chance(0.5) ? 1 : -1)}${copy.dob.slice(4)}`;
          copy.dobBasis = 'estimated';
          break;
        case 'no_dob':
          copy.dob = null;
          copy.dobBasis = 'unknown';
          break;
        case 'no_a_number':
          copy.aNumber = null;
          break;
        case 'accents':
          copy.givenNames = stripAccents(copy.givenNames).toUpperCase();
          copy.familyName1 = stripAccents(copy.familyName1).toUpperCase();
          break;
      }
    }
    people.push(copy);
  }
  return people;
}
