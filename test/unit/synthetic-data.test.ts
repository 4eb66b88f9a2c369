import { describe, expect, it } from 'vitest';
import { demoTimeline, nextShiftStart } from '../../src/domain/demo/demo-timeline.js';
import { generateDataset, type StoryAction } from '../../src/domain/demo/synthetic-data.js';
import { DEMO_REFERENCE_DATE } from '../../src/services/demo-seed.service.js';

const ageOn = (dob: string, on: Date): number => {
  const birth = new Date(`${dob}T00:00:00Z`);
  let age = on.getUTCFullYear() - birth.getUTCFullYear();
  const beforeBirthday =
    on.getUTCMonth() < birth.getUTCMonth() || (on.getUTCMonth() === birth.getUTCMonth() && on.getUTCDate() < birth.getUTCDate());
  if (beforeBirthday) age -= 1;
  return age;
};
const kinds = (story: StoryAction[]) => story.map((a) => a.kind);
const START = new Date(DEMO_REFERENCE_DATE.getTime() - 125 * 86_400_000);

describe('synthetic demo data', () => {
  it('is reproducible from its seed and differs between seeds', () => {
    const a = generateDataset(42, DEMO_REFERENCE_DATE);
    const b = generateDataset(42, DEMO_REFERENCE_DATE);
    const c = generateDataset(43, DEMO_REFERENCE_DATE);
    expect(b).toEqual(a);
    expect(c.persons.map((p) => p.givenNames)).not.toEqual(a.persons.map((p) => p.givenNames));
    expect(demoTimeline(b, START, DEMO_REFERENCE_DATE)).toEqual(demoTimeline(a, START, DEMO_REFERENCE_DATE));
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
    // Every person is a subject of exactly one case, so intake creates each once.
    expect(data.cases.flatMap((c) => c.subjects.map((s) => s.personKey)).sort()).toEqual(data.persons.map((p) => p.key).sort());
  });

  it('sees every location before the report that tells of it, and opens every case before the reference date', () => {
    const data = generateDataset(5, DEMO_REFERENCE_DATE);
    expect(data.cases.flatMap((c) => c.locations).length).toBeGreaterThan(0);
    for (const c of data.cases) {
      expect(Date.parse(c.openedAt)).toBeLessThanOrEqual(DEMO_REFERENCE_DATE.getTime());
      for (const l of c.locations) {
        expect(Date.parse(l.observedAt)).toBeLessThan(Date.parse(c.openedAt));
        expect(c.subjects.some((s) => s.personKey === l.personKey)).toBe(true);
        expect(l.address.city.length).toBeGreaterThan(0);
      }
    }
  });

  it('tells each case as the workflow allows: in time order, a child screened before the case goes further, referrals drafted then submitted', () => {
    for (const seed of [1, 2, 3, 7]) {
      const data = generateDataset(seed, DEMO_REFERENCE_DATE);
      for (const c of data.cases) {
        const times = [c.openedAt, ...c.story.map((a) => a.at)].map(Date.parse);
        expect(times).toEqual([...times].sort((a, b) => a - b));
        for (const t of times) expect(t).toBeLessThanOrEqual(DEMO_REFERENCE_DATE.getTime());
        const story = kinds(c.story);
        if (story.length > 0) expect(story[0]).toBe('triage');
        const beyondTriage = story.findIndex((k) => k !== 'triage' && k !== 'screen');
        if (c.unit === 'uac' && beyondTriage !== -1) expect(story.indexOf('screen')).toBeGreaterThan(-1);
        if (c.unit === 'uac' && beyondTriage !== -1) expect(story.indexOf('screen')).toBeLessThan(beyondTriage);
        const draft = story.indexOf('draft_referral');
        if (draft !== -1) {
          expect(c.subjects.length).toBeGreaterThan(0);
          expect(story.slice(0, draft)).toContain('activate');
          expect(story[draft + 1] ?? 'submit_referral').toBe('submit_referral');
        }
        for (const k of ['submit_referral', 'review_referral', 'verify_location', 'resubmit_referral'] as const) {
          if (story.includes(k)) expect(draft).toBeGreaterThan(-1);
          if (story.includes(k)) expect(story.indexOf(k)).toBeGreaterThan(draft);
        }
        if (story.includes('close')) expect(story.at(-1)).toBe('close');
      }
      // Enough of each kind of story for the demo to show them all.
      const all = data.cases.flatMap((c) => kinds(c.story));
      for (const k of ['triage', 'screen', 'activate', 'protect', 'draft_referral', 'review_referral', 'close'] as const) {
        expect(all, `seed ${seed}: ${k}`).toContain(k);
      }
      expect(data.cases.some((c) => c.story.some((a) => a.kind === 'screen' && a.indicators.length > 0))).toBe(true);
    }
  });

  it('plays the stories as one timeline: registry and accounts first, every intake before its case is worked, a shift after each positive screening', () => {
    const data = generateDataset(1, DEMO_REFERENCE_DATE);
    const steps = demoTimeline(data, START, DEMO_REFERENCE_DATE);
    const times = steps.map((s) => Date.parse(s.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(steps.slice(0, 2).map((s) => s.kind)).toEqual(['register_agencies', 'add_partner_officer']);
    expect(steps.filter((s) => s.kind === 'intake')).toHaveLength(data.cases.length);
    const opened = new Set<string>();
    for (const s of steps) {
      if (s.kind === 'intake') opened.add(s.caseKey);
      if (s.kind === 'story') expect(opened.has(s.caseKey)).toBe(true);
      if (s.kind === 'story' && s.action.kind === 'review_referral') expect(s.actor).toBe('legal_reviewer');
      if (s.kind === 'story' && s.action.kind === 'screen') expect(s.actor).toBe('uac_specialist');
      if (s.kind === 'intake') expect(s.actor).toBe('call_taker');
    }
    const shifts = steps.filter((s) => s.kind === 'shift').map((s) => Date.parse(s.at));
    for (const s of steps) {
      if (s.kind !== 'story' || s.action.kind !== 'screen' || s.action.indicators.length === 0) continue;
      const next = nextShiftStart(Date.parse(s.at));
      if (next <= DEMO_REFERENCE_DATE.getTime()) expect(shifts).toContain(next);
    }
    expect(shifts.length).toBeGreaterThan(0);
  });

  it('starts the next shift at 04:00, 12:00 or 20:00 UTC, strictly after the instant, at most eight hours later', () => {
    expect(new Date(nextShiftStart(Date.parse('2026-09-01T03:59:59Z'))).toISOString()).toBe('2026-09-01T04:00:00.000Z');
    expect(new Date(nextShiftStart(Date.parse('2026-09-01T04:00:00Z'))).toISOString()).toBe('2026-09-01T12:00:00.000Z');
    expect(new Date(nextShiftStart(Date.parse('2026-09-01T20:30:00Z'))).toISOString()).toBe('2026-09-02T04:00:00.000Z');
  });
});
