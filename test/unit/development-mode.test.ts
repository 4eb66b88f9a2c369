import { describe, expect, it } from 'vitest';
import { developmentMode } from '../../src/cli/start.command.js';
import { loadConfig } from '../../src/config/config.js';

/** What lets a webhook reach this machine is on only for a loopback-only, plain-HTTP install. */
describe('development mode', () => {
  const mode = (env: Record<string, string>) => developmentMode(loadConfig(env, '/tmp'));

  it('is on for plain HTTP on loopback only', () => {
    expect(mode({})).toBe(true);
    expect(mode({ HOST: '::1' })).toBe(true);
    expect(mode({ HOST: 'localhost', PUBLIC_URL: 'http://localhost:8080' })).toBe(true);
  });

  it('is off in production: any HTTPS public URL or a HOST reachable from the network', () => {
    expect(mode({ PUBLIC_URL: 'https://switchboard.example.gov' })).toBe(false);
    expect(mode({ HOST: '0.0.0.0' })).toBe(false);
    expect(mode({ HOST: '10.0.0.5' })).toBe(false);
    expect(mode({ HOST: '::' })).toBe(false);
  });
});
