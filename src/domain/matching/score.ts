import { canonicalSpelling, fold, formalName, nameTokens, soundsAlike, trigramSimilarity } from './names.js';

/**
 * An explained comparison of two person records, in the manner of
 * Fellegi–Sunter record linkage: each piece of evidence adds or subtracts a
 * weight (roughly log2 of how much likelier it is for the same person than
 * for two different people), and says in words what it saw. The weights are
 * starting values to be tuned on the matching benchmark.
 */

export type MatchablePerson = {
  givenNames: string;
  familyName1: string;
  familyName2?: string | null;
  aliases?: readonly string[];
  dob?: string | null;
  dobBasis?: 'exact' | 'estimated' | 'claimed' | 'unknown';
  sex?: 'female' | 'male' | 'unknown';
  aNumber?: string | null;
};

export type Evidence = { feature: string; weight: number; explanation: string };
export type MatchVerdict = 'likely' | 'possible' | 'unlikely';
export type MatchScore = { weight: number; verdict: MatchVerdict; evidence: Evidence[] };

export const LIKELY = 12;
export const POSSIBLE = 6;

function familyTokens(p: MatchablePerson): string[] {
  return [...nameTokens(p.familyName1), ...nameTokens(p.familyName2 ?? '')];
}

function givenTokens(p: MatchablePerson): string[] {
  return nameTokens(p.givenNames);
}

const spelled = (t: string) => canonicalSpelling(formalName(t));

function compareFamily(a: MatchablePerson, b: MatchablePerson): Evidence {
  const fa = familyTokens(a);
  const fb = familyTokens(b);
  if (fa.length === 0 || fb.length === 0) return { feature: 'family_missing', weight: 0, explanation: 'a family name is missing' };
  const exact = fa.filter((t) => fb.includes(t));
  if (exact.length === fa.length && exact.length === fb.length) {
    const sameOrder = fa.join(' ') === fb.join(' ');
    return sameOrder
      ? { feature: 'family_equal', weight: 6, explanation: `family names equal (${fa.join(' ')})` }
      : {
          feature: 'family_swapped',
          weight: 5.5,
          explanation: `family names equal in the other order (${fa.join(' ')} / ${fb.join(' ')})`,
        };
  }
  const spelledA = fa.map(canonicalSpelling);
  const spelledB = fb.map(canonicalSpelling);
  if (spelledA.length === spelledB.length && spelledA.every((t) => spelledB.includes(t))) {
    const sameOrder = spelledA.join(' ') === spelledB.join(' ');
    return sameOrder
      ? { feature: 'family_spelling', weight: 5, explanation: `family names differ only in spelling (${fa.join(' ')} / ${fb.join(' ')})` }
      : {
          feature: 'family_swapped',
          weight: 4.5,
          explanation: `family names in the other order, spelled differently (${fa.join(' ')} / ${fb.join(' ')})`,
        };
  }
  if (exact.length > 0) {
    return { feature: 'family_one_shared', weight: 4, explanation: `family name ${exact[0]} shared; the other differs or is missing` };
  }
  const variant = spelledA.find((t) => spelledB.includes(t));
  if (variant)
    return {
      feature: 'family_spelling',
      weight: 3.5,
      explanation: `family names differ only in spelling (${fa.join(' ')} / ${fb.join(' ')})`,
    };
  for (const x of fa)
    for (const y of fb)
      if (soundsAlike(x, y)) return { feature: 'family_phonetic', weight: 3, explanation: `family name sounds alike (${x} ~ ${y})` };
  return { feature: 'family_differ', weight: -4, explanation: `family names differ (${fa.join(' ')} / ${fb.join(' ')})` };
}

function compareGiven(a: MatchablePerson, b: MatchablePerson): Evidence {
  const ga = givenTokens(a);
  const gb = givenTokens(b);
  const aliasesB = (b.aliases ?? []).flatMap(nameTokens);
  if (ga.length === 0 || gb.length === 0) return { feature: 'given_missing', weight: 0, explanation: 'a given name is missing' };
  if (ga.some((t) => gb.includes(t)))
    return { feature: 'given_equal', weight: 4, explanation: `given name equal (${ga.find((t) => gb.includes(t))})` };
  for (const x of ga) {
    for (const y of gb) {
      if (formalName(x) === formalName(y))
        return { feature: 'given_nickname', weight: 3.5, explanation: `${x} and ${y} are the same name (nickname)` };
    }
  }
  if (ga.some((t) => aliasesB.includes(t))) return { feature: 'given_alias', weight: 3, explanation: 'given name matches a known alias' };
  for (const x of ga)
    for (const y of gb)
      if (spelled(x) === spelled(y))
        return { feature: 'given_spelling', weight: 3, explanation: `given names differ only in spelling (${x} / ${y})` };
  for (const x of ga)
    for (const y of gb)
      if (soundsAlike(x, y)) return { feature: 'given_phonetic', weight: 2.5, explanation: `given name sounds alike (${x} ~ ${y})` };
  const similarity = trigramSimilarity(a.givenNames, b.givenNames);
  if (similarity >= 0.45)
    return { feature: 'given_similar', weight: 1.5, explanation: `given names similar (trigram similarity ${similarity.toFixed(2)})` };
  return { feature: 'given_differ', weight: -3, explanation: `given names differ (${fold(a.givenNames)} / ${fold(b.givenNames)})` };
}

function compareDob(a: MatchablePerson, b: MatchablePerson): Evidence | undefined {
  if (!a.dob || !b.dob || a.dobBasis === 'unknown' || b.dobBasis === 'unknown') return undefined;
  if (a.dob === b.dob) return { feature: 'dob_equal', weight: 5, explanation: `date of birth equal (${a.dob})` };
  const [ya, ma, da] = a.dob.split('-');
  const [yb, mb, db] = b.dob.split('-');
  if (ya === yb && ma === db && da === mb)
    return { feature: 'dob_swapped', weight: 3.5, explanation: `date of birth with day and month swapped (${a.dob} / ${b.dob})` };
  const days = Math.abs(Date.parse(`${a.dob}T00:00:00Z`) - Date.parse(`${b.dob}T00:00:00Z`)) / 86_400_000;
  const estimated = a.dobBasis !== 'exact' || b.dobBasis !== 'exact';
  if (days <= 366) {
    return {
      feature: 'dob_near',
      // Two exact dates that differ are weak evidence either way (a typo, or a namesake); an estimate near the date is some.
      weight: estimated ? 1 : 0.5,
      explanation: `dates of birth within a year (${a.dob} / ${b.dob}${estimated ? ', at least one estimated or claimed' : ''})`,
    };
  }
  if (estimated && days <= 3 * 366)
    return { feature: 'dob_estimate_far', weight: -1, explanation: `estimated dates of birth ${Math.round(days / 365)} years apart` };
  return { feature: 'dob_differ', weight: -5, explanation: `dates of birth differ (${a.dob} / ${b.dob})` };
}

export function scoreMatch(a: MatchablePerson, b: MatchablePerson): MatchScore {
  const evidence: Evidence[] = [];
  if (a.aNumber && b.aNumber) {
    evidence.push(
      a.aNumber === b.aNumber
        ? { feature: 'a_number_equal', weight: 12, explanation: `A-number equal (${a.aNumber})` }
        : { feature: 'a_number_differ', weight: -10, explanation: 'A-numbers differ' },
    );
  }
  evidence.push(compareFamily(a, b));
  evidence.push(compareGiven(a, b));
  const dob = compareDob(a, b);
  if (dob) evidence.push(dob);
  if (a.sex && b.sex && a.sex !== 'unknown' && b.sex !== 'unknown') {
    evidence.push(
      a.sex === b.sex
        ? { feature: 'sex_equal', weight: 0.5, explanation: 'sex equal' }
        : { feature: 'sex_differ', weight: -3, explanation: 'sex differs' },
    );
  }
  const kept = evidence.filter((e) => e.weight !== 0);
  const weight = Math.round(kept.reduce((n, e) => n + e.weight, 0) * 10) / 10;
  return { weight, verdict: weight >= LIKELY ? 'likely' : weight >= POSSIBLE ? 'possible' : 'unlikely', evidence: kept };
}

/** Normalises an A-number: "A-012 345 678" or "A12345678" → nine digits "012345678"; undefined when it is not one. */
export function normalizeANumber(value: string): string | undefined {
  const match = /^\s*A?\s*-?\s*((?:\d[\s-]?){8,9})\s*$/i.exec(value);
  if (!match?.[1]) return undefined;
  const digits = match[1].replace(/\D/g, '');
  if (digits.length !== 8 && digits.length !== 9) return undefined;
  return digits.padStart(9, '0');
}
