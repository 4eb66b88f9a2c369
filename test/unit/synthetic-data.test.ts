import { describe, expect, it } from 'vitest';
import { generateDataset } from '../../src/domain/demo/synthetic-data.js';
import { DEMO_REFERENCE_DATE } from '../../src/services/demo-seed.service.js';

const ageOn = (dob: string, on: Date): number => {
  const birth = new Date(`${dob}T00:00:00Z`);
  let age = on.getUTCFullYear() - birth.getUTCFullYear();
  const beforeBirthday =
    on.getUTCMonth() < birth.getUTCMonth() || (on.getUTCMonth() === birth.getUTCMonth() && on.getUTCDate() < birth.getUTCDate());
  if (beforeBirthday) age -= 1;
  return age;
};

describe('synthetic demo data', () => {
  it('is reproducible from its seed and differs between seeds', () => {
    const a = generateDataset(42, DEMO_REFERENCE_DATE);
    const b = generateDataset(42, DEMO_REFERENCE_DATE);
    const c = generateDataset(43, DEMO_REFERENCE_DATE);
    expect(b).toEqual(a);
    expect(c.persons.map((p) => p.givenNames)).not.toEqual(a.persons.map((p) => p.givenNames));
  });

  it('holds children in the UAC cases and adults elsewhere, with unique A-numbers', () => {
    const data = generateDataset(1, DEMO_REFERENCE_DATE);
    const byKey = new Map(data.persons.map((p) => [p.key, p]));
    const children = data.cases.flatMap((c) => c.subjects.filter((s) => s.role === 'child'));
    expect(children.length).toBeGreaterThan(10);
    for (const child of children) {
      const dob = byKey.get(child.personKey)?.dob;
      expect(dob).toBeDefined();
      expect(ageOn(dob ?? '', DEMO_REFERENCE_DATE)).toBeLessThan(18);
    }
    for (const c of data.cases.filter((x) => !x.type.startsWith('uac'))) {
      for (const s of c.subjects) expect(ageOn(byKey.get(s.personKey)?.dob ?? '', DEMO_REFERENCE_DATE)).toBeGreaterThanOrEqual(18);
    }
    const aNumbers = data.persons.flatMap((p) => (p.aNumber ? [p.aNumber] : []));
    expect(new Set(aNumbers).size).toBe(aNumbers.length);
    for (const a of aNumbers) expect(a).toMatch(/^\d{9}$/);
  });

  it('gives every location observation its provenance and times in order', () => {
    const data = generateDataset(5, DEMO_REFERENCE_DATE);
    expect(data.locations.length).toBeGreaterThan(0);
    for (const l of data.locations) {
      expect(l.source.length).toBeGreaterThan(0);
      expect(Date.parse(l.reportedAt)).toBeGreaterThanOrEqual(Date.parse(l.observedAt));
      expect(Date.parse(l.observedAt)).toBeLessThanOrEqual(DEMO_REFERENCE_DATE.getTime());
    }
  });
});
