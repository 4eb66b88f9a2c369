import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig, ssoSettings } from '../../src/config/config.js';
import { decideSsoAccess, parseAssurance, parseRoleMap, type SsoMapping } from '../../src/domain/identity/sso-policy.js';

/** What an identity provider's claims may give a person: only what the mapping allows, with the assurance the role needs. */

const PIV = 'http://idmanagement.gov/ns/assurance/aal/3';

const mapping: SsoMapping = {
  roleClaim: 'groups',
  roles: parseRoleMap('sb-agents=call_taker,sb-field=field_officer,sb-partners=partner_officer,sb-admins=admin'),
  fieldOfficeClaim: 'field_office',
  agencyClaim: 'agency_ori',
  unitClaim: 'unit',
  usernameClaim: 'preferred_username',
  displayNameClaim: 'name',
  assurance: parseAssurance(`admin=${PIV},*=${PIV}|phr`),
};

describe('decideSsoAccess', () => {
  it('maps one group to one role, ignoring groups the mapping does not name', () => {
    const decision = decideSsoAccess(
      { groups: ['everyone', 'sb-agents'], acr: 'phr', preferred_username: 'Ana.Ejemplo', unit: 'UAC' },
      mapping,
    );
    expect(decision).toEqual({
      ok: true,
      access: { role: 'call_taker', fieldOfficeCode: null, agencyOri: null, unit: 'uac' },
      username: 'ana.ejemplo',
      displayName: null,
    });
  });

  it('takes a single string claim as one group', () => {
    expect(decideSsoAccess({ groups: 'sb-admins', acr: PIV }, mapping)).toMatchObject({ ok: true, access: { role: 'admin' } });
  });

  it('never lets a claim name a role directly, or carry a scope the role does not have', () => {
    expect(decideSsoAccess({ groups: ['admin'], acr: PIV }, mapping)).toMatchObject({
      ok: false,
      code: 'sso_no_access',
      reason: 'no_mapped_role',
    });
    const agent = decideSsoAccess({ groups: ['sb-agents'], acr: PIV, field_office: 'NOL', agency_ori: 'TX1430300' }, mapping);
    expect(agent).toMatchObject({ ok: true, access: { fieldOfficeCode: null, agencyOri: null } });
  });

  it('refuses a person in groups of two roles rather than picking the larger', () => {
    expect(decideSsoAccess({ groups: ['sb-agents', 'sb-admins'], acr: PIV }, mapping)).toMatchObject({
      ok: false,
      reason: 'several_roles',
      details: { roles: ['admin', 'call_taker'] },
    });
  });

  it('refuses a login without the acr the role needs, naming what was given and what is needed', () => {
    expect(decideSsoAccess({ groups: ['sb-admins'], acr: 'phr' }, mapping)).toMatchObject({
      ok: false,
      code: 'sso_assurance_insufficient',
      details: { role: 'admin', acr: 'phr', required: [PIV] },
    });
    expect(decideSsoAccess({ groups: ['sb-agents'] }, mapping)).toMatchObject({
      ok: false,
      code: 'sso_assurance_insufficient',
      details: { acr: null },
    });
    const anyAcr = { ...mapping, assurance: parseAssurance('') };
    expect(decideSsoAccess({ groups: ['sb-agents'] }, anyAcr)).toMatchObject({ ok: true });
  });

  it("takes a field officer's office and a partner officer's agency from their claims, and refuses without them", () => {
    expect(decideSsoAccess({ groups: ['sb-field'], acr: 'phr', field_office: 'nol' }, mapping)).toMatchObject({
      ok: true,
      access: { role: 'field_officer', fieldOfficeCode: 'NOL' },
    });
    expect(decideSsoAccess({ groups: ['sb-field'], acr: 'phr' }, mapping)).toMatchObject({ ok: false, reason: 'no_field_office' });
    expect(decideSsoAccess({ groups: ['sb-partners'], acr: 'phr', agency_ori: 'TX1430300' }, mapping)).toMatchObject({
      ok: true,
      access: { agencyOri: 'TX1430300' },
    });
    expect(decideSsoAccess({ groups: ['sb-partners'], acr: 'phr', agency_ori: 'not an ori' }, mapping)).toMatchObject({
      ok: false,
      reason: 'no_agency',
    });
  });
});

describe('SSO configuration', () => {
  const env = {
    OIDC_ISSUER: 'https://idp.example.gov',
    OIDC_CLIENT_ID: 'switchboard',
    OIDC_CLIENT_SECRET: 'a-client-secret-value',
    OIDC_ROLE_MAP: 'sb-agents=call_taker',
    OIDC_ACR_REQUIRED: `*=${PIV}|phr`,
  };

  it('derives the redirect URI from PUBLIC_URL and parses the mapping', () => {
    const settings = ssoSettings(loadConfig(env, '/tmp'), 'https://switchboard.example.gov');
    expect(settings).toMatchObject({
      redirectUri: 'https://switchboard.example.gov/api/v1/auth/oidc/callback',
      scopes: 'openid profile email',
      clientSecret: 'a-client-secret-value',
    });
    expect(settings?.mapping.assurance.get('*')).toEqual([PIV, 'phr']);
    expect(ssoSettings(loadConfig({}, '/tmp'), 'http://127.0.0.1:8080')).toBeNull();
  });

  it('stops start-up on a mapping that names no role, an issuer without a mapping, or scopes without openid', () => {
    expect(() => loadConfig({ ...env, OIDC_ROLE_MAP: 'sb-agents=superuser' }, '/tmp')).toThrow(ConfigError);
    expect(() => loadConfig({ OIDC_ISSUER: 'https://idp.example.gov', OIDC_CLIENT_ID: 'x' }, '/tmp')).toThrow(/OIDC_ISSUER needs/);
    expect(() => loadConfig({ ...env, OIDC_SCOPES: 'profile email' }, '/tmp')).toThrow(/OIDC_SCOPES must include openid/);
    expect(() => loadConfig({ ...env, OIDC_ACR_REQUIRED: 'chief=phr' }, '/tmp')).toThrow(/OIDC_ACR_REQUIRED/);
  });

  it('treats the client secret as a secret: redacted wherever the configuration is shown', () => {
    expect(describeConfig(loadConfig(env, '/tmp')).OIDC_CLIENT_SECRET).toBe('[secret]');
  });
});
