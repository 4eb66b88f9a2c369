import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from '../../src/config/config.js';

const cwd = '/srv/switchboard';

describe('configuration', () => {
  it('has working defaults: loopback, port 8080, ./data, the center in Nashville', () => {
    const config = loadConfig({}, cwd);
    expect(config.HOST).toBe('127.0.0.1');
    expect(config.PORT).toBe(8080);
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.dataDir).toBe('/srv/switchboard/data');
    expect(config.CENTER_TIME_ZONE).toBe('America/Chicago');
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.SWITCHBOARD_DEMO_ON_FIRST_START).toBe(true);
  });

  it('names the key and the problem in one line for an invalid port', () => {
    expect(() => loadConfig({ PORT: 'abc' }, cwd)).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'abc' }, cwd)).toThrow(/^invalid configuration: PORT must be a number \(got "abc"\)$/);
    expect(() => loadConfig({ PORT: '70000' }, cwd)).toThrow(/PORT must be between 1 and 65535/);
  });

  it('refuses an unknown time zone and log level', () => {
    expect(() => loadConfig({ CENTER_TIME_ZONE: 'Mars/Olympus' }, cwd)).toThrow(/CENTER_TIME_ZONE must be an IANA time zone/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' }, cwd)).toThrow(/LOG_LEVEL must be one of/);
  });

  it('never echoes a secret in an error or a description', () => {
    let message = '';
    try {
      loadConfig({ DATABASE_URL: 'mysql://user:hunter2secret@db/x' }, cwd);
    } catch (error) {
      message = String(error);
    }
    expect(message).toMatch(/DATABASE_URL must be a postgres/);
    expect(message).not.toContain('hunter2secret');
    const config = loadConfig({ DATABASE_URL: 'postgresql://u:hunter2secret@db:5432/sb' }, cwd);
    expect(JSON.stringify(describeConfig(config))).not.toContain('hunter2secret');
  });

  it('reads an optional JSON file, with the environment taking precedence, and refuses unknown keys in it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-config-'));
    const file = path.join(dir, 'switchboard.json');
    writeFileSync(file, JSON.stringify({ PORT: 9090, HOST: '127.0.0.2', CENTER_TIME_ZONE: 'America/New_York' }));
    const config = loadConfig({ SWITCHBOARD_CONFIG_FILE: file, HOST: '127.0.0.3' }, cwd);
    expect(config.PORT).toBe(9090);
    expect(config.HOST).toBe('127.0.0.3');
    expect(config.CENTER_TIME_ZONE).toBe('America/New_York');
    writeFileSync(file, JSON.stringify({ PROT: 1 }));
    expect(() => loadConfig({ SWITCHBOARD_CONFIG_FILE: file }, cwd)).toThrow(/PROT/);
    writeFileSync(file, '{not json');
    expect(() => loadConfig({ SWITCHBOARD_CONFIG_FILE: file }, cwd)).toThrow(/not valid JSON/);
  });

  it('ignores environment variables that are not Switchboard settings', () => {
    expect(() => loadConfig({ PATH: '/usr/bin', HOME: '/root' }, cwd)).not.toThrow();
  });
});
