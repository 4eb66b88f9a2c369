import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { publicUrl, secureCookies } from '../../src/cli/identity-runtime.js';
import { ConfigError, carrierAllow, describeConfig, edgeTls, loadConfig } from '../../src/config/config.js';

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

  it('the SIP edge: loopback bind, no TLS, only 127.0.0.1 trusted as a carrier trunk by default; TLS with a certificate and key', () => {
    const config = loadConfig({}, cwd);
    expect(config.SIP_EDGE_BIND).toBe('127.0.0.1');
    expect(edgeTls(config)).toBeNull();
    expect(carrierAllow(config)).toEqual(['127.0.0.1/32']);
    const tls = loadConfig(
      { SIP_TLS_CERT_FILE: '/etc/sb/sip.crt', SIP_TLS_KEY_FILE: '/etc/sb/sip.key', SIP_EDGE_BIND: '203.0.113.10' },
      cwd,
    );
    expect(edgeTls(tls)).toEqual({ port: 5061, certificate: '/etc/sb/sip.crt', privateKey: '/etc/sb/sip.key' });
    expect(carrierAllow(loadConfig({ SIP_CARRIER_ALLOW: '198.51.100.7, 203.0.113.0/24' }, cwd))).toEqual([
      '198.51.100.7',
      '203.0.113.0/24',
    ]);
    expect(() => loadConfig({ SIP_TLS_CERT_FILE: '/etc/sb/sip.crt' }, cwd)).toThrow(
      /SIP_TLS_KEY_FILE and SIP_TLS_CERT_FILE must be set together/,
    );
    expect(() => loadConfig({ SIP_EDGE_BIND: '0.0.0.0' }, cwd)).toThrow(/SIP_EDGE_BIND must be one address/);
    expect(() => loadConfig({ SIP_EDGE_BIND: 'edge.example.gov' }, cwd)).toThrow(/SIP_EDGE_BIND must be an IPv4 address/);
    expect(() => loadConfig({ SIP_CARRIER_ALLOW: '198.51.100.0/33' }, cwd)).toThrow(/SIP_CARRIER_ALLOW must be IPv4 addresses or networks/);
    expect(() => loadConfig({ SIP_CARRIER_ALLOW: 'carrier.example.com' }, cwd)).toThrow(/SIP_CARRIER_ALLOW/);
    expect(() => loadConfig({ SIP_EDGE_TLS_PORT: '5060' }, cwd)).toThrow(/SIP_EDGE_TLS_PORT must differ from SIP_EDGE_PORT/);
  });

  it('HTTPS: plain loopback HTTP by default; a certificate makes the public URL https and cookies Secure; the redirect port needs HTTPS', () => {
    const plain = loadConfig({}, cwd);
    expect(publicUrl(plain)).toBe('http://127.0.0.1:8080');
    expect(secureCookies(plain)).toBe(false);
    const https = loadConfig(
      { HTTPS_CERT_FILE: '/etc/sb/web.crt', HTTPS_KEY_FILE: '/etc/sb/web.key', PORT: '8443', HTTP_REDIRECT_PORT: '8080' },
      cwd,
    );
    expect(publicUrl(https)).toBe('https://127.0.0.1:8443');
    expect(secureCookies(https)).toBe(true);
    expect(() => loadConfig({ HTTPS_KEY_FILE: '/etc/sb/web.key' }, cwd)).toThrow(/HTTPS_KEY_FILE and HTTPS_CERT_FILE must be set together/);
    expect(() => loadConfig({ HTTP_REDIRECT_PORT: '8081' }, cwd)).toThrow(/HTTP_REDIRECT_PORT redirects to HTTPS/);
    // Behind a reverse proxy that ends TLS: the https PUBLIC_URL is enough for the redirect port.
    expect(loadConfig({ HTTP_REDIRECT_PORT: '8081', PUBLIC_URL: 'https://switchboard.example.gov' }, cwd).HTTP_REDIRECT_PORT).toBe(8081);
    expect(() => loadConfig({ HTTPS_CERT_FILE: '/a', HTTPS_KEY_FILE: '/b', HTTP_REDIRECT_PORT: '8080' }, cwd)).toThrow(
      /HTTP_REDIRECT_PORT must differ from PORT/,
    );
  });
});
