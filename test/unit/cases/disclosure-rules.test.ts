import { describe, expect, it } from 'vitest';
import { households, suggestLinks } from '../../../src/domain/persons/relationships.js';
import { type ConsentFact, checkDisclosure } from '../../../src/domain/safeguards/disclosure.js';
import { evaluateReferral, type GateInput } from '../../../src/domain/safeguards/referral-gate.js';
import { mentionsSponsor, nameForms, redactDeep, redactSponsors, SPONSOR_WITHHELD } from '../../../src/domain/safeguards/sponsor-shield.js';
import { urgentWelfareLane } from '../../../src/domain/safeguards/urgent-welfare-lane.js';

/** The pure rules of issue #22 items 1–2: sponsor shielding, the consent check, suggested links and households. */

const rosa = {
  personId: 's1',
  names: nameForms({ givenNames: 'Rosa María', familyName1: 'Mamani', familyName2: 'Condori' }),
  phones: ['+16155550177'],
};

describe('the sponsor shield', () => {
  it('takes a sponsor out of free text by name (any case, accents or not, surname first) and by phone, leaving the rest', () => {
    expect(redactSponsors('Seen with ROSA MAMANI at 5 pm; her cell (615) 555-0177.', [rosa])).toBe(
      `Seen with ${SPONSOR_WITHHELD} at 5 pm; her cell ${SPONSOR_WITHHELD}.`,
    );
    expect(redactSponsors('Mamani, Rosa maría called', [rosa])).toBe(`${SPONSOR_WITHHELD} called`);
    expect(redactSponsors('Rosa told us', [rosa])).toBe('Rosa told us');
    expect(redactSponsors('rosa maria mamani condori', [rosa])).toBe(SPONSOR_WITHHELD);
    // A shared surname alone (a child often has it) and a different number are not the sponsor.
    expect(redactSponsors('Lucía Mamani, 615-555-0178, Rosales', [rosa])).toBe('Lucía Mamani, 615-555-0178, Rosales');
    expect(mentionsSponsor('nothing here', [rosa])).toBe(false);
    expect(mentionsSponsor('ask for rosa  mamani', [rosa])).toBe(true);
  });

  it('redacts every string of a snapshot and keeps its shape, dates included', () => {
    const at = new Date('2026-11-29T15:00:00Z');
    expect(redactDeep({ subject: { name: 'Rosa Mamani', age: 40 }, list: ['x Rosa Mamani'], at }, [rosa])).toEqual({
      subject: { name: SPONSOR_WITHHELD, age: 40 },
      list: [`x ${SPONSOR_WITHHELD}`],
      at,
    });
  });

  it('holds a referral naming a withheld sponsor, without naming them; and a held sponsor never opens the urgent lane', () => {
    const input: GateInput = {
      purpose: 'welfare',
      caseType: 'uac_welfare',
      subjects: [
        { personId: 'child', name: 'Lucía Ccori', minor: true, ageBecause: 'claimed 2012', protections: [] },
        { personId: 's1', name: 'Rosa Mamani', minor: false, ageBecause: 'born 1985', protections: [] },
      ],
      reports: [],
      hasVerifiedLocation: false,
      welfareScreeningComplete: true,
      recipient: 'partner_agency',
      withheldSponsors: [{ personId: 's1', how: 'named_in_text' }],
    };
    const gate = evaluateReferral(input);
    expect(gate.decision).toBe('hold_for_review');
    const reason = gate.reasons.find((r) => r.rule === 'sponsor_protected');
    expect(reason).toMatchObject({ effect: 'hold', personId: 's1' });
    expect(reason?.message).not.toContain('Rosa');
    expect(urgentWelfareLane(gate, { kind: 'welfare_check', personId: 'child', screeningIndicators: ['missing_from_sponsor'] })).toEqual({
      urgent: false,
    });
    expect(evaluateReferral({ ...input, withheldSponsors: [] }).reasons.some((r) => r.rule === 'sponsor_protected')).toBe(false);
  });
});

const fact = (over: Partial<ConsentFact>): ConsentFact => ({
  id: 'c1',
  scope: 'other_orgs',
  recipientKind: null,
  recipientName: null,
  decision: 'granted',
  givenOn: '2026-11-28',
  withdrawnOn: null,
  ...over,
});

describe('the disclosure check (consent)', () => {
  const ask = (
    consents: ConsentFact[],
    kind: 'orr' | 'legal_aid' | 'partner_agency' | 'field_office',
    today = '2026-11-29',
    childInDanger = false,
  ) => checkDisclosure({ recipient: { kind, name: 'TX0813300' }, consents, today, childInDanger });

  it('services and other organisations need a consent in force that covers the recipient', () => {
    expect(ask([], 'orr')).toMatchObject({ allowed: false, code: 'consent_required' });
    expect(ask([fact({})], 'orr')).toEqual({ allowed: true, basis: 'consent', consentId: 'c1' });
    expect(ask([fact({})], 'legal_aid')).toMatchObject({ allowed: false, code: 'consent_required' });
    expect(ask([fact({ scope: 'services', recipientKind: 'medical' })], 'legal_aid')).toMatchObject({ allowed: false });
    expect(ask([fact({ recipientName: 'tx0813300 ' })], 'partner_agency')).toMatchObject({ allowed: true, basis: 'consent' });
  });

  it('counts days on the center calendar: given tomorrow is not yet; withdrawn today is withdrawn; a refusal wins', () => {
    expect(ask([fact({ givenOn: '2026-11-30' })], 'orr')).toMatchObject({ allowed: false, code: 'consent_required' });
    expect(ask([fact({ withdrawnOn: '2026-11-29' })], 'orr')).toMatchObject({ allowed: false, code: 'consent_withdrawn' });
    expect(ask([fact({ withdrawnOn: '2026-11-30' })], 'orr')).toMatchObject({ allowed: true });
    expect(ask([fact({}), fact({ id: 'c2', decision: 'refused' })], 'orr')).toMatchObject({
      allowed: false,
      code: 'consent_refused',
      consentId: 'c2',
    });
  });

  it('police partners: only a refusal stops them; a child in danger overrides; a field office is the gate’s alone', () => {
    expect(ask([], 'partner_agency')).toEqual({ allowed: true, basis: 'safeguard_gate' });
    expect(ask([fact({ decision: 'refused' })], 'partner_agency')).toMatchObject({ allowed: false, code: 'consent_refused' });
    expect(ask([fact({ decision: 'refused' })], 'partner_agency', '2026-11-29', true)).toEqual({ allowed: true, basis: 'child_in_danger' });
    expect(ask([], 'orr', '2026-11-29', true)).toEqual({ allowed: true, basis: 'child_in_danger' });
    expect(ask([fact({ decision: 'refused' })], 'field_office')).toEqual({ allowed: true, basis: 'safeguard_gate' });
  });
});

describe('suggested links and households', () => {
  const at = (iso: string) => new Date(iso);
  const obs = (personId: string, line1: string, iso: string) => ({
    personId,
    line1,
    city: 'Brownsville',
    state: 'TX',
    zip: '78520',
    observedAt: at(iso),
  });

  it('suggests same address (folded), same phone and named as sponsor; never the child or someone already linked', () => {
    const child = { personId: 'c', phones: ['+16155550100'], observations: [obs('c', '40 Synthetic Ln', '2026-11-01T00:00:00Z')] };
    const found = suggestLinks(
      child,
      [
        { personId: 'a', phones: [], observations: [obs('a', '40  synthetic ln.', '2026-10-01T00:00:00Z')], namedAsSponsorIn: [] },
        { personId: 'b', phones: ['615-555-0100'], observations: [], namedAsSponsorIn: ['R-1'] },
        { personId: 'd', phones: ['615-555-0100'], observations: [], namedAsSponsorIn: [] },
        { personId: 'c', phones: ['615-555-0100'], observations: [], namedAsSponsorIn: [] },
      ],
      new Set(['d']),
    );
    expect(found.map((s) => `${s.personId}:${s.reason}`)).toEqual(['a:same_address', 'b:named_as_sponsor', 'b:same_phone']);
    expect(found.find((s) => s.reason === 'same_phone')?.evidence).toEqual({ phoneLast4: '0100' });
  });

  it('lists who lived at each address and from when to when, newest household first', () => {
    const h = households([
      obs('c', '40 Synthetic Ln', '2026-01-01T00:00:00Z'),
      obs('s', '40 synthetic ln', '2026-03-01T00:00:00Z'),
      obs('c', '40 Synthetic Ln', '2026-02-01T00:00:00Z'),
      obs('c', '9 Other St', '2026-06-01T00:00:00Z'),
    ]);
    expect(h.map((x) => x.address)).toEqual(['9 Other St, Brownsville, TX, 78520', '40 Synthetic Ln, Brownsville, TX, 78520']);
    expect(h[1]?.members).toEqual([
      { personId: 'c', firstObservedAt: at('2026-01-01T00:00:00Z'), lastObservedAt: at('2026-02-01T00:00:00Z'), observations: 2 },
      { personId: 's', firstObservedAt: at('2026-03-01T00:00:00Z'), lastObservedAt: at('2026-03-01T00:00:00Z'), observations: 1 },
    ]);
  });
});
