/**
 * Sponsors are protected (issue #22): a person who sponsors a child — named as
 * sponsor in an intake, a case subject in the role of sponsor, or linked to a
 * child as sponsor — never reaches a disclosure outside the unit (an
 * enforcement referral's record or packet, a request to a partner agency, its
 * webhook) unless a legal reviewer approved naming that sponsor in that
 * disclosure. This module is the pure part: who is shielded from a disclosure,
 * and how their names and phone numbers are taken out of free text.
 */

export type ShieldedSponsor = {
  personId: string;
  /** Every form of every name the sponsor is known by (records merged into them and aliases included): nameForms. */
  names: readonly string[];
  phones: readonly string[];
};

/** What stands in the disclosed text where a sponsor was named. */
export const SPONSOR_WITHHELD = '[sponsor withheld]';

/** Which sponsors stay out of one disclosure: every sponsor it would name, but those a legal reviewer approved. */
export function shieldedFrom(sponsors: readonly ShieldedSponsor[], approvedPersonIds: ReadonlySet<string>): ShieldedSponsor[] {
  return sponsors.filter((s) => !approvedPersonIds.has(s.personId));
}

/** Folds one character for matching (case and accents), keeping a one-to-one map back to the text. */
function foldChars(text: string): { folded: string; starts: number[] } {
  let folded = '';
  const starts: number[] = [];
  let at = 0;
  for (const ch of text) {
    const f = ch.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
    for (let i = 0; i < f.length; i++) starts.push(at);
    folded += f;
    at += ch.length;
  }
  starts.push(at);
  return { folded, starts };
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The forms a person's name takes in free text: in full, given names and first family name, the first given name
 * and first family name, and family name first ("Mamani, Rosa"). Every form has a given and a family name, so a
 * family name alone — which a child often shares with the sponsor — never matches.
 */
export function nameForms(n: { givenNames: string; familyName1: string; familyName2: string | null }): string[] {
  const first = n.givenNames.trim().split(/\s+/)[0] ?? n.givenNames;
  return [
    [n.givenNames, n.familyName1, n.familyName2].filter(Boolean).join(' '),
    `${n.givenNames} ${n.familyName1}`,
    `${first} ${n.familyName1}`,
    `${n.familyName1} ${n.givenNames}`,
    `${n.familyName1} ${first}`,
  ];
}

/** Each form as a pattern over folded text: its words in order, with spaces or commas between, whole words only. */
function namePatterns(names: readonly string[]): RegExp[] {
  const patterns = new Set<string>();
  for (const name of names) {
    const tokens = foldChars(name)
      .folded.split(/[\s,]+/)
      .filter((t) => t.length > 0);
    if (tokens.length >= 2) patterns.add(tokens.map(escapeRe).join('[\\s,]+'));
  }
  return [...patterns].sort((a, b) => b.length - a.length).map((p) => new RegExp(`(?<![\\p{L}\\p{N}])${p}(?![\\p{L}\\p{N}])`, 'gu'));
}

const lastTen = (phone: string) => phone.replace(/\D/g, '').slice(-10);
const PHONE_LIKE = /\+?\(?\d[\d\s().-]{5,}\d/g;

type Span = { from: number; to: number };

function spansOf(text: string, sponsors: readonly ShieldedSponsor[]): Span[] {
  if (sponsors.length === 0 || text.length === 0) return [];
  const { folded, starts } = foldChars(text);
  const spans: Span[] = [];
  for (const re of namePatterns(sponsors.flatMap((s) => s.names))) {
    for (const m of folded.matchAll(re)) {
      const from = starts[m.index] ?? 0;
      const to = starts[m.index + m[0].length] ?? text.length;
      spans.push({ from, to });
    }
  }
  const phones = new Set(sponsors.flatMap((s) => s.phones.map(lastTen)).filter((p) => p.length >= 7));
  for (const m of text.matchAll(PHONE_LIKE)) {
    const digits = lastTen(m[0]);
    if (digits.length >= 7 && [...phones].some((p) => p.endsWith(digits) || digits.endsWith(p)))
      spans.push({ from: m.index, to: m.index + m[0].length });
  }
  return spans.sort((a, b) => a.from - b.from);
}

/** Whether the text names a shielded sponsor (by name, or by phone number). */
export function mentionsSponsor(text: string, sponsors: readonly ShieldedSponsor[]): boolean {
  return spansOf(text, sponsors).length > 0;
}

/** The text with every mention of a shielded sponsor replaced by SPONSOR_WITHHELD. */
export function redactSponsors(text: string, sponsors: readonly ShieldedSponsor[]): string {
  const spans = spansOf(text, sponsors);
  if (spans.length === 0) return text;
  let out = '';
  let at = 0;
  for (const s of spans) {
    if (s.from < at) {
      at = Math.max(at, s.to);
      continue;
    }
    out += text.slice(at, s.from) + SPONSOR_WITHHELD;
    at = s.to;
  }
  return out + text.slice(at);
}

/** Every string inside a JSON-like value redacted; the shape kept. */
export function redactDeep<T>(value: T, sponsors: readonly ShieldedSponsor[]): T {
  if (sponsors.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactSponsors(v, sponsors);
    if (Array.isArray(v)) return v.map(walk);
    // Plain objects only: dates and other instances pass through untouched.
    if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}
