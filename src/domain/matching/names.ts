import { doubleMetaphone } from 'double-metaphone';

/**
 * Name normalisation for matching people across records written by different
 * hands: accents and case folded, Spanish particles set aside, common
 * nicknames and transliterations mapped to one form, phonetic keys (Double
 * Metaphone) for names that sound alike.
 */

/** "María  de la Luz" → "maria de la luz": accents, case, punctuation and spacing folded. */
export function fold(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/[^a-z\s'-]/g, ' ')
    .replace(/['-]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const PARTICLES = new Set(['de', 'del', 'la', 'las', 'los', 'y', 'e', 'da', 'dos', 'van', 'von']);

/** The meaningful words of a name: folded, without particles ("de la Cruz" → ["cruz"]). */
export function nameTokens(name: string): string[] {
  return fold(name)
    .split(' ')
    .filter((t) => t.length > 0 && !PARTICLES.has(t));
}

/** Nicknames and short forms common in Spanish- and English-speaking records → the formal given name. */
const NICKNAMES: Record<string, string> = {
  pepe: 'jose',
  chepe: 'jose',
  paco: 'francisco',
  pancho: 'francisco',
  kiko: 'francisco',
  lupe: 'guadalupe',
  lupita: 'guadalupe',
  chuy: 'jesus',
  chucho: 'jesus',
  nacho: 'ignacio',
  tono: 'antonio',
  toni: 'antonio',
  memo: 'guillermo',
  lalo: 'eduardo',
  beto: 'alberto',
  rafa: 'rafael',
  quique: 'enrique',
  manolo: 'manuel',
  manu: 'manuel',
  chema: 'jose maria',
  concha: 'concepcion',
  conchita: 'concepcion',
  charo: 'rosario',
  chayo: 'rosario',
  maru: 'maria',
  mari: 'maria',
  lola: 'dolores',
  lolita: 'dolores',
  pili: 'pilar',
  nena: 'elena',
  juanito: 'juan',
  pedrito: 'pedro',
  luchito: 'luis',
  tere: 'teresa',
  fer: 'fernando',
  alex: 'alejandro',
  bill: 'william',
  will: 'william',
  bob: 'robert',
  rob: 'robert',
  mike: 'michael',
  jim: 'james',
  joe: 'joseph',
  tony: 'anthony',
  kate: 'katherine',
  liz: 'elizabeth',
  beth: 'elizabeth',
};

/** Transliteration and spelling variants folded to one spelling before comparing: "Yesenia"/"Jesenia", "Xochitl"/"Sochitl". */
export function canonicalSpelling(token: string): string {
  return token
    .replace(/^x(?=[aeiou])/, 's')
    .replace(/^j(?=e[sn])/, 'y')
    .replace(/ll/g, 'y')
    .replace(/v/g, 'b')
    .replace(/z/g, 's')
    .replace(/ce/g, 'se')
    .replace(/ci/g, 'si')
    .replace(/qu/g, 'k')
    .replace(/c(?=[aou])/g, 'k')
    .replace(/^h/, '')
    .replace(/(.)\1/g, '$1');
}

/** The formal name behind a nickname, or the name itself. */
export const formalName = (token: string): string => NICKNAMES[token] ?? token;

const phoneticCache = new Map<string, [string, string]>();

/** Both Double Metaphone keys of a token (memoised: names repeat). */
export function phoneticKeys(token: string): [string, string] {
  let keys = phoneticCache.get(token);
  if (!keys) {
    const [primary, secondary] = doubleMetaphone(token);
    keys = [primary, secondary];
    if (phoneticCache.size < 200_000) phoneticCache.set(token, keys);
  }
  return keys;
}

export function soundsAlike(a: string, b: string): boolean {
  if (a.length === 0 || b.length === 0) return false;
  const [a1, a2] = phoneticKeys(a);
  const [b1, b2] = phoneticKeys(b);
  return a1 === b1 || a1 === b2 || a2 === b1 || (a2 !== '' && a2 === b2);
}

/** Trigram similarity (as PostgreSQL's pg_trgm computes it): shared trigrams ÷ all distinct trigrams. */
export function trigramSimilarity(a: string, b: string): number {
  const grams = (s: string): Set<string> => {
    const set = new Set<string>();
    for (const word of fold(s).split(' ').filter(Boolean)) {
      const padded = `  ${word} `;
      for (let i = 0; i + 3 <= padded.length; i++) set.add(padded.slice(i, i + 3));
    }
    return set;
  };
  const ga = grams(a);
  const gb = grams(b);
  if (ga.size === 0 || gb.size === 0) return 0;
  let shared = 0;
  for (const g of ga) if (gb.has(g)) shared += 1;
  return shared / (ga.size + gb.size - shared);
}
