/**
 * Which ERO field office is responsible for a place: a county override for
 * states split between offices, otherwise the office of the state as a whole.
 */

export type AorTable = {
  stateDefaults: ReadonlyMap<string, string>;
  /** key: `${state}|${countyKey(county)}` */
  countyOverrides: ReadonlyMap<string, { office: string; confidence: 'confirmed' | 'inferred' }>;
};

export type AorResolution = {
  officeCode: string;
  basis: 'county' | 'state';
  confidence: 'confirmed' | 'inferred';
};

/** Normalises a county name for matching: "St. Louis County" → "saint louis", "Doña Ana" → "dona ana". */
export function countyKey(county: string): string {
  return county
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/\b(county|parish|borough|census area|municipio|city and borough)\b/g, ' ')
    .replace(/\bst\.?\s/g, 'saint ')
    .replace(/\bste\.?\s/g, 'sainte ')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

export function resolveAor(table: AorTable, state: string, county?: string | null): AorResolution | undefined {
  const code = state.trim().toUpperCase();
  if (county) {
    const override = table.countyOverrides.get(`${code}|${countyKey(county)}`);
    if (override) return { officeCode: override.office, basis: 'county', confidence: override.confidence };
  }
  const office = table.stateDefaults.get(code);
  if (!office) return undefined;
  // A state split between offices, resolved without a matching county, is a best guess.
  const split = [...table.countyOverrides.keys()].some((key) => key.startsWith(`${code}|`));
  return { officeCode: office, basis: 'state', confidence: split ? 'inferred' : 'confirmed' };
}
