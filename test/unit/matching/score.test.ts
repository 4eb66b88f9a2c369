import { describe, expect, it } from 'vitest';
import { fold, nameTokens, soundsAlike, trigramSimilarity } from '../../../src/domain/matching/names.js';
import { normalizeANumber, scoreMatch } from '../../../src/domain/matching/score.js';

const features = (a: Parameters<typeof scoreMatch>[0], b: Parameters<typeof scoreMatch>[1]) =>
  scoreMatch(a, b).evidence.map((e) => e.feature);

describe('name normalisation', () => {
  it('folds accents, case and particles', () => {
    expect(fold('  María José  de la CRUZ ')).toBe('maria jose de la cruz');
    expect(nameTokens('de la Cruz del Río')).toEqual(['cruz', 'rio']);
    expect(soundsAlike('gonzalez', 'gonsales')).toBe(true);
    expect(soundsAlike('xicara', 'sicara')).toBe(true);
    expect(trigramSimilarity('Yesenia', 'Yessenia')).toBeGreaterThan(0.5);
  });

  it('normalises A-numbers to nine digits and refuses others', () => {
    expect(normalizeANumber('A-012 345 678')).toBe('012345678');
    expect(normalizeANumber('a12345678')).toBe('012345678');
    expect(normalizeANumber('A1234567')).toBeUndefined();
    expect(normalizeANumber('B123456789')).toBeUndefined();
  });
});

describe('explained match scores', () => {
  const maria = {
    givenNames: 'María',
    familyName1: 'Hernández',
    familyName2: 'López',
    dob: '2010-03-04',
    dobBasis: 'exact' as const,
    sex: 'female' as const,
    aNumber: '201234567',
  };

  it('calls the same A-number, name and date of birth a likely match, and says why', () => {
    const result = scoreMatch(maria, { ...maria });
    expect(result.verdict).toBe('likely');
    expect(result.evidence.map((e) => e.explanation)).toEqual(
      expect.arrayContaining([
        'A-number equal (201234567)',
        'family names equal (hernandez lopez)',
        'given name equal (maria)',
        'date of birth equal (2010-03-04)',
      ]),
    );
  });

  it('recognises swapped or dropped family names, nicknames, spelling variants and swapped day and month', () => {
    const other = {
      givenNames: 'Maria',
      familyName1: 'Lopez',
      familyName2: 'Hernandez',
      dob: '2010-04-03',
      dobBasis: 'exact' as const,
      sex: 'female' as const,
    };
    expect(features(maria, other)).toEqual(expect.arrayContaining(['family_swapped', 'dob_swapped']));
    expect(scoreMatch(maria, other).verdict).toBe('likely');
    expect(features(maria, { ...other, familyName1: 'Hernandez', familyName2: null })).toContain('family_one_shared');
    const pepe = { givenNames: 'José', familyName1: 'Gonzalez', dob: '1990-01-01', dobBasis: 'exact' as const };
    expect(features(pepe, { givenNames: 'Pepe', familyName1: 'Gonsales', dob: '1990-01-01', dobBasis: 'exact' as const })).toEqual([
      'family_spelling',
      'given_nickname',
      'dob_equal',
    ]);
    expect(features({ givenNames: 'Yesenia', familyName1: 'Xicará' }, { givenNames: 'Jesenia', familyName1: 'Sicara' })).toEqual([
      'family_spelling',
      'given_spelling',
    ]);
  });

  it('weighs an estimated age gently and different identifiers heavily', () => {
    const child = { givenNames: 'Lucía', familyName1: 'Tzoc', dob: '2012-06-01', dobBasis: 'estimated' as const };
    const near = scoreMatch(child, { ...child, dob: '2011-09-15' });
    expect(near.evidence.find((e) => e.feature === 'dob_near')?.weight).toBe(1);
    const differentA = scoreMatch(maria, { ...maria, aNumber: '209999999' });
    expect(differentA.verdict).not.toBe('likely');
    expect(differentA.evidence[0]).toMatchObject({ feature: 'a_number_differ', weight: -10 });
  });

  it('calls different people unlikely', () => {
    const result = scoreMatch(maria, { givenNames: 'Carlos', familyName1: 'Batz', dob: '1975-11-30', dobBasis: 'exact', sex: 'male' });
    expect(result.verdict).toBe('unlikely');
    expect(result.weight).toBeLessThan(0);
  });
});
