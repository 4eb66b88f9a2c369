import type { FieldIssue } from '../errors/app-error.js';
import { countyKey } from './area-of-responsibility.js';
import { stateCode, US_STATES } from './us-states.js';

/**
 * Turning an address as someone said it into a place we can file: a known
 * state, a county when we can tell, a point, and — always — how precise that
 * point is. The offline geocoder knows ZIP codes, their places and counties
 * (GeoNames postal data, shipped by an npm package) and so answers at ZIP,
 * city, county or state precision; a production geocoder behind the same
 * interface may answer at rooftop precision.
 */

export type Precision = 'rooftop' | 'zip' | 'city' | 'county' | 'state';

export type AddressInput = {
  line1?: string | null | undefined;
  city?: string | null | undefined;
  county?: string | null | undefined;
  state?: string | null | undefined;
  zip?: string | null | undefined;
};

export type Geocode = {
  line1: string | null;
  city: string | null;
  county: string | null;
  state: string;
  zip: string | null;
  /** Null only for a territory the reference data has no points for: filed by state alone. */
  latitude: number | null;
  longitude: number | null;
  precision: Precision;
  /** Which geocoder answered, kept with the observation. */
  geocoder: string;
  /** Things worth telling the user that did not stop the geocode (e.g. a county we did not recognise). */
  warnings: string[];
};

export type GeocodeResult = { ok: true; geocode: Geocode } | { ok: false; issues: FieldIssue[] };

export interface Geocoder {
  readonly name: string;
  /** `path` prefixes the field paths of the issues, e.g. "body.locations.0.address". */
  geocode(address: AddressInput, path: string): Promise<GeocodeResult>;
}

/** One postal code as GeoNames lists it. */
export type PostalRow = { zip: string; place: string; state: string; county: string | null; latitude: number; longitude: number };

type Point = { latitude: number; longitude: number };
type Centroid = { lat: number; lon: number; n: number };

function add(map: Map<string, Centroid>, key: string, p: Point): void {
  const c = map.get(key);
  if (c) {
    c.lat += p.latitude;
    c.lon += p.longitude;
    c.n += 1;
  } else map.set(key, { lat: p.latitude, lon: p.longitude, n: 1 });
}
const mean = (c: Centroid): Point => ({ latitude: c.lat / c.n, longitude: c.lon / c.n });
const placeKey = (place: string) => countyKey(place);

export class OfflineGeocoder implements Geocoder {
  readonly name = 'offline-geonames';
  private readonly zips = new Map<string, PostalRow>();
  /** `${state}|${placeKey}` → centroid and the county most of its ZIPs lie in. */
  private readonly places = new Map<string, Centroid & { counties: Map<string, number> }>();
  private readonly counties = new Map<string, Centroid>();
  private readonly countyNames = new Map<string, string>();
  private readonly states = new Map<string, Centroid>();

  constructor(rows: Iterable<PostalRow>) {
    for (const row of rows) {
      this.zips.set(row.zip, row);
      const pk = `${row.state}|${placeKey(row.place)}`;
      let place = this.places.get(pk);
      if (!place) {
        place = { lat: 0, lon: 0, n: 0, counties: new Map() };
        this.places.set(pk, place);
      }
      place.lat += row.latitude;
      place.lon += row.longitude;
      place.n += 1;
      if (row.county) {
        place.counties.set(row.county, (place.counties.get(row.county) ?? 0) + 1);
        const ck = `${row.state}|${countyKey(row.county)}`;
        add(this.counties, ck, row);
        this.countyNames.set(ck, row.county);
      }
      add(this.states, row.state, row);
    }
  }

  get size(): number {
    return this.zips.size;
  }

  async geocode(address: AddressInput, path: string): Promise<GeocodeResult> {
    return this.geocodeSync(address, path);
  }

  geocodeSync(address: AddressInput, path: string): GeocodeResult {
    const issues: FieldIssue[] = [];
    const warnings: string[] = [];
    const clean = (v: string | null | undefined) => (v?.trim() ? v.trim().replace(/\s+/g, ' ') : null);
    const line1 = clean(address.line1);
    let city = clean(address.city);
    let county = clean(address.county);
    const stateText = clean(address.state);
    const zipText = clean(address.zip);

    let state: string | undefined;
    if (stateText) {
      state = stateCode(stateText);
      if (!state) issues.push({ path: `${path}.state`, code: 'unknown_state', message: `"${stateText}" is not a US state or territory` });
    }
    let zipRow: PostalRow | undefined;
    if (zipText) {
      const zip = /^(\d{5})(?:-?\d{4})?$/.exec(zipText)?.[1];
      if (!zip) issues.push({ path: `${path}.zip`, code: 'invalid_zip', message: 'a ZIP code is 5 digits (or ZIP+4)' });
      else {
        zipRow = this.zips.get(zip);
        if (!zipRow) issues.push({ path: `${path}.zip`, code: 'unknown_zip', message: `${zip} is not a known US ZIP code` });
        else if (state && zipRow.state !== state)
          issues.push({ path: `${path}.zip`, code: 'zip_state_mismatch', message: `${zip} is in ${zipRow.state}, not ${state}` });
      }
    }
    if (issues.length > 0) return { ok: false, issues };
    state ??= zipRow?.state;
    if (!state) {
      return {
        ok: false,
        issues: [{ path: `${path}.state`, code: 'required', message: 'an address needs at least a state or a ZIP code' }],
      };
    }
    if (county) {
      const known = this.countyNames.get(`${state}|${countyKey(county)}`);
      if (known) county = known;
      else warnings.push(`county "${county}" is not one we know in ${state}; the location is filed without it`);
      if (!known) county = null;
    }
    const done = (point: Point | null, precision: Precision): GeocodeResult => ({
      ok: true,
      geocode: {
        line1,
        city,
        county,
        state,
        zip: zipRow?.zip ?? null,
        latitude: point ? Math.round(point.latitude * 1e5) / 1e5 : null,
        longitude: point ? Math.round(point.longitude * 1e5) / 1e5 : null,
        precision,
        geocoder: this.name,
        warnings,
      },
    });
    if (zipRow) {
      city ??= zipRow.place;
      county ??= zipRow.county;
      return done(zipRow, 'zip');
    }
    if (city) {
      const place = this.places.get(`${state}|${placeKey(city)}`);
      if (place) {
        if (!county) county = [...place.counties.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
        return done(mean(place), 'city');
      }
      warnings.push(`city "${city}" is not one we know in ${state}`);
    }
    if (county) {
      const c = this.counties.get(`${state}|${countyKey(county)}`);
      if (c) return done(mean(c), 'county');
    }
    const s = this.states.get(state);
    if (!s) warnings.push(`no reference points for ${US_STATES[state] ?? state}: the location is filed by state without a point`);
    return done(s ? mean(s) : null, 'state');
  }
}
