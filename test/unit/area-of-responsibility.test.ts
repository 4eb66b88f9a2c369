import { describe, expect, it } from 'vitest';
import { countyKey, resolveAor } from '../../src/domain/geo/area-of-responsibility.js';
import { readFieldOffices } from '../../src/services/reference-data.service.js';

const data = readFieldOffices();
const table = {
  stateDefaults: new Map(Object.entries(data.stateDefaults)),
  countyOverrides: new Map(
    data.countyOverrides.map((o) => [`${o.state}|${countyKey(o.county)}`, { office: o.office, confidence: o.confidence }]),
  ),
};

describe('area of responsibility', () => {
  it('normalises county names the way people type them', () => {
    expect(countyKey('Doña Ana County')).toBe('dona ana');
    expect(countyKey('St. Lawrence')).toBe('saint lawrence');
    expect(countyKey('  EL PASO ')).toBe('el paso');
    expect(countyKey('Miami-Dade County')).toBe('miami dade');
  });

  it('uses county assignments in states split between offices', () => {
    expect(resolveAor(table, 'TX', 'Hidalgo')).toEqual({ officeCode: 'HLG', basis: 'county', confidence: 'confirmed' });
    expect(resolveAor(table, 'TX', 'El Paso County')?.officeCode).toBe('ELP');
    expect(resolveAor(table, 'TX', 'Harris')?.officeCode).toBe('HOU');
    expect(resolveAor(table, 'CA', 'San Diego')?.officeCode).toBe('SND');
    expect(resolveAor(table, 'CA', 'Los Angeles')?.officeCode).toBe('LOS');
    expect(resolveAor(table, 'NY', 'Kings')?.officeCode).toBe('NYC');
    expect(resolveAor(table, 'NY', 'Erie')?.officeCode).toBe('BUF');
  });

  it('falls back to the state office, marked inferred when the state is split', () => {
    expect(resolveAor(table, 'tn')).toEqual({ officeCode: 'NOL', basis: 'state', confidence: 'confirmed' });
    const texas = resolveAor(table, 'TX', 'Nowhere');
    expect(texas?.basis).toBe('state');
    expect(texas?.confidence).toBe('inferred');
  });

  it('covers every state, DC and the territories, and nothing else', () => {
    for (const state of ['AL', 'AK', 'AZ', 'CA', 'DC', 'FL', 'HI', 'NY', 'PR', 'TX', 'VI', 'GU', 'WY']) {
      expect(resolveAor(table, state), state).toBeDefined();
    }
    expect(resolveAor(table, 'ZZ')).toBeUndefined();
    expect(table.stateDefaults.size).toBe(56);
  });

  it('ships all 25 ERO field offices, and whole-state areas agree with the state defaults', () => {
    expect(data.offices).toHaveLength(25);
    for (const office of data.offices) {
      for (const state of office.states) expect(table.stateDefaults.get(state), `${state} → ${office.code}`).toBe(office.code);
    }
  });
});
