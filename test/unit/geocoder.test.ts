import { describe, expect, it } from 'vitest';
import { OfflineGeocoder } from '../../src/domain/geo/geocoder.js';
import { stateCode } from '../../src/domain/geo/us-states.js';
import { offlineGeocoder } from '../../src/services/geonames.js';

const g = offlineGeocoder();
const ok = (address: Record<string, string>) => {
  const result = g.geocodeSync(address, 'a');
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.geocode;
};
const codes = (address: Record<string, string>) => {
  const result = g.geocodeSync(address, 'a');
  return result.ok ? [] : result.issues.map((i) => `${i.path}:${i.code}`);
};

describe('offline geocoder (GeoNames postal data)', () => {
  it('loads the US postal codes', () => {
    expect(g.size).toBeGreaterThan(40_000);
  });

  it('a ZIP gives its place, county and centroid at ZIP precision', () => {
    expect(ok({ zip: '78520' })).toMatchObject({ city: 'Brownsville', county: 'Cameron', state: 'TX', precision: 'zip' });
    expect(ok({ zip: '78520-1234', line1: '1 Main St' })).toMatchObject({ zip: '78520', line1: '1 Main St', precision: 'zip' });
  });

  it('a city, a county or a state alone give coarser precision, always recorded', () => {
    expect(ok({ city: 'brownsville', state: 'texas' })).toMatchObject({ precision: 'city', county: 'Cameron' });
    expect(ok({ county: 'Cameron County', state: 'TX' })).toMatchObject({ precision: 'county', county: 'Cameron' });
    expect(ok({ county: 'St. Louis', state: 'MO' }).precision).toBe('county');
    const state = ok({ state: 'NM' });
    expect(state.precision).toBe('state');
    expect(state.latitude).toBeGreaterThan(31);
    expect(state.latitude).toBeLessThan(37.5);
  });

  it('unknown state, unknown ZIP, malformed ZIP and a ZIP in another state are field errors', () => {
    expect(codes({ state: 'Texass' })).toEqual(['a.state:unknown_state']);
    expect(codes({ zip: '00000' })).toEqual(['a.zip:unknown_zip']);
    expect(codes({ zip: '7852' })).toEqual(['a.zip:invalid_zip']);
    expect(codes({ zip: '78520', state: 'CA' })).toEqual(['a.zip:zip_state_mismatch']);
    expect(codes({ city: 'Somewhere' })).toEqual(['a.state:required']);
  });

  it('an unknown county or city is a warning, and the place is filed at the precision that is known', () => {
    const geo = ok({ county: 'Atlantis', city: 'Nowhere', state: 'TX' });
    expect(geo.precision).toBe('state');
    expect(geo.county).toBeNull();
    expect(geo.warnings).toHaveLength(2);
  });

  it('a territory without reference points is filed by state without a point', () => {
    const geo = new OfflineGeocoder([]).geocodeSync({ state: 'PR' }, 'a');
    expect(geo).toMatchObject({ ok: true, geocode: { state: 'PR', precision: 'state', latitude: null } });
  });

  it('state codes and names', () => {
    expect(stateCode(' tx ')).toBe('TX');
    expect(stateCode('District of Columbia')).toBe('DC');
    expect(stateCode('XX')).toBeUndefined();
  });
});
