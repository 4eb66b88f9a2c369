import { sql } from 'kysely';
import type { Role } from '../domain/access/access-control.js';
import { generateDataset } from '../domain/demo/synthetic-data.js';
import { AppError } from '../domain/errors/app-error.js';
import { resolveAor } from '../domain/geo/area-of-responsibility.js';
import { searchFields } from '../domain/matching/blocking.js';
import type { Db } from '../storage/database.js';
import * as demo from '../storage/repositories/demo.repository.js';
import { getMeta, setMeta } from '../storage/repositories/meta.repository.js';
import * as reference from '../storage/repositories/reference.repository.js';
import { appendAudit } from './audit.service.js';
import { offlineGeocoder } from './geonames.js';
import { encrypt, type Keys } from './keys.js';
import { generatePassword, hashPassword } from './passwords.js';
import { loadAorTable, loadReferenceData, readAgencies, syntheticAgencyRows } from './reference-data.service.js';
import { newTotpSecret } from './totp.js';

/**
 * The demo seed: synthetic agencies, one staff account per role, synthetic
 * persons, location observations and cases. It runs in one transaction, so a
 * crash leaves either no demo data or all of it, and it marks the database as
 * a demo database (later commands, such as printing demo sign-in codes, refuse
 * to run on any other).
 */

/** Ages and dates are anchored here so that one seed always reproduces the same records. */
export const DEMO_REFERENCE_DATE = new Date('2026-11-01T12:00:00Z');

const DEMO_SEED_LOCK_KEY = 0x53_57_44_4d;

export type DemoAccount = { username: string; role: Role; password: string };
export type DemoSeedResult = {
  seed: number;
  accounts: DemoAccount[];
  counts: { agencies: number; persons: number; locations: number; cases: number };
};
export type DemoMarker = { demo: true; seed: number; seededAt: string };

const DEMO_ACCOUNTS: readonly { username: string; role: Role; displayName: string; unit: string | null }[] = [
  { username: 'demo.calltaker', role: 'call_taker', displayName: 'Demo Call Taker', unit: 'intake' },
  { username: 'demo.uac', role: 'uac_specialist', displayName: 'Demo UAC Specialist', unit: 'uac' },
  { username: 'demo.analyst', role: 'analyst', displayName: 'Demo Analyst', unit: 'analysis' },
  { username: 'demo.supervisor', role: 'supervisor', displayName: 'Demo Supervisor', unit: 'intake' },
  { username: 'demo.legal', role: 'legal_reviewer', displayName: 'Demo Legal Reviewer', unit: 'legal' },
  { username: 'demo.field', role: 'field_officer', displayName: 'Demo Field Officer', unit: null },
  { username: 'demo.partner', role: 'partner_officer', displayName: 'Demo Partner Officer', unit: null },
  { username: 'demo.auditor', role: 'auditor', displayName: 'Demo Auditor', unit: null },
  { username: 'demo.admin', role: 'admin', displayName: 'Demo Administrator', unit: null },
];

export const DEMO_ACCOUNT_USERNAMES: readonly string[] = DEMO_ACCOUNTS.map((a) => a.username);

export async function readDemoMarker(db: Db): Promise<DemoMarker | undefined> {
  const value = await getMeta(db, 'demo');
  if (typeof value === 'object' && value !== null && 'seed' in value && typeof value.seed === 'number' && 'seededAt' in value) {
    return { demo: true, seed: value.seed, seededAt: String(value.seededAt) };
  }
  return undefined;
}

/** The demo's places geocoded offline, as intake would: the point and the geocoder that gave it. */
function demoPoint(l: { zip: string; state: string }) {
  const result = offlineGeocoder().geocodeSync({ zip: l.zip, state: l.state }, 'demo');
  return result.ok ? { latitude: result.geocode.latitude, longitude: result.geocode.longitude, geocoder: result.geocode.geocoder } : {};
}

export async function seedDemo(
  db: Db,
  keys: Keys,
  options: { seed: number; timeZone: string; progress?: (line: string) => void; now?: Date },
): Promise<DemoSeedResult> {
  const progress = options.progress ?? (() => undefined);
  if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 2 ** 31) {
    throw new AppError('validation_failed', 'the seed must be a whole number between 0 and 2147483648');
  }
  await loadReferenceData(db);
  const dataset = generateDataset(options.seed, DEMO_REFERENCE_DATE);
  const agencies = readAgencies();
  // Hash outside the transaction: argon2 is deliberately slow and holds no locks.
  progress(`hashing ${DEMO_ACCOUNTS.length} demo passwords (argon2id)…`);
  const accounts = await Promise.all(
    DEMO_ACCOUNTS.map(async (account) => {
      const password = generatePassword();
      // Demo accounts come enrolled, so that `switchboard demo codes` can stand in for a phone.
      return { ...account, password, hash: await hashPassword(password), totpSecret: encrypt(keys, newTotpSecret()) };
    }),
  );

  const now = options.now ?? new Date();
  return db.transaction().execute(async (trx) => {
    // Serialises concurrent seeds (two first starts on one external server); the second sees the first's marker.
    await sql`SELECT pg_advisory_xact_lock(${DEMO_SEED_LOCK_KEY})`.execute(trx);
    const existing = await demo.countRows(trx);
    if (await readDemoMarker(trx)) {
      throw new AppError('conflict', 'this database already holds demo data');
    }
    if (existing.users > 0 || existing.persons > 0 || existing.cases > 0) {
      throw new AppError('conflict', 'this database holds data that is not demo data; the demo seed only runs on an empty database');
    }
    progress(`adding ${agencies.length} synthetic partner agencies…`);
    await reference.insertAgencies(trx, syntheticAgencyRows());
    const partnerAgency = agencies.find((a) => a.agreement.status === 'active');
    progress('adding one demo account per role…');
    await demo.insertUsers(
      trx,
      accounts.map((a) => ({
        username: a.username,
        display_name: a.displayName,
        role: a.role,
        unit: a.unit,
        agency_ori: a.role === 'partner_officer' ? (partnerAgency?.ori ?? null) : null,
        field_office_code: a.role === 'field_officer' ? 'NOL' : null,
        password_hash: a.hash,
        password_changed_at: now,
        totp_secret_enc: a.totpSecret,
        totp_enrolled_at: now,
      })),
    );
    // Demo agents can take work at once: skills and languages for the queues' target expressions.
    const skills: Record<string, string[]> = {
      'demo.calltaker': ['public_intake', 'partner_intake', 'analysis'],
      'demo.uac': ['uac'],
      'demo.analyst': ['analysis'],
      'demo.supervisor': ['public_intake', 'partner_intake', 'analysis'],
    };
    const agents = await trx.selectFrom('users').select(['id', 'username']).where('username', 'in', Object.keys(skills)).execute();
    if (agents.length > 0) {
      await trx
        .insertInto('routing_workers')
        .values(
          agents.map((u) => ({ user_id: u.id, attributes: JSON.stringify({ skills: skills[u.username] ?? [], languages: ['en', 'es'] }) })),
        )
        .execute();
    }
    progress(
      `adding ${dataset.persons.length} synthetic persons, ${dataset.locations.length} location observations and ${dataset.cases.length} cases…`,
    );
    const personIds = await demo.insertPersons(
      trx,
      dataset.persons.map((p) => ({
        ...searchFields({
          givenNames: p.givenNames,
          familyName1: p.familyName1,
          familyName2: p.familyName2,
          dob: p.dob,
          dobBasis: p.dobBasis,
          aNumber: p.aNumber,
        }),
        given_names: p.givenNames,
        family_name_1: p.familyName1,
        family_name_2: p.familyName2,
        dob: p.dob,
        dob_basis: p.dobBasis,
        sex: p.sex,
        nationalities: [p.nationality],
        a_number: p.aNumber,
        synthetic: true,
      })),
    );
    const idOf = new Map(dataset.persons.map((p, i) => [p.key, personIds[i] ?? '']));
    const aor = await loadAorTable(trx);
    await demo.insertLocations(
      trx,
      dataset.locations.map((l) => ({
        ...demoPoint(l),
        aor_office_code: resolveAor(aor, l.state, l.county)?.officeCode ?? null,
        person_id: idOf.get(l.personKey) ?? '',
        line1: l.line1,
        city: l.city,
        county: l.county,
        state: l.state,
        zip: l.zip,
        precision: l.precision,
        source: l.source,
        confidence: l.confidence,
        observed_at: l.observedAt,
        reported_at: l.reportedAt,
      })),
    );
    const caseIds = await demo.insertCases(
      trx,
      dataset.cases.map((c) => ({
        case_number: c.caseNumber,
        type: c.type,
        status: c.status,
        priority: c.priority,
        unit: c.unit,
        aor_office_code: resolveAor(aor, c.state, c.county)?.officeCode ?? null,
        aor_basis: 'location' as const,
        status_reason: c.statusReason,
        closed_at: c.status === 'closed' ? new Date(Date.parse(c.createdAt) + 3 * 86_400_000) : null,
        summary: c.summary,
        created_at: c.createdAt,
        updated_at: c.createdAt,
      })),
    );
    await demo.insertCaseSubjects(
      trx,
      dataset.cases.flatMap((c, i) =>
        c.subjects.map((s) => ({ case_id: caseIds[i] ?? '', person_id: idOf.get(s.personKey) ?? '', role: s.role })),
      ),
    );
    // Each case was opened from one graded report about its subjects.
    const reportIds = await demo.insertReports(
      trx,
      dataset.cases.map((c, i) => ({
        reference: `R-DEMO-${String(i + 1).padStart(6, '0')}`,
        source: c.report.source,
        reporter_phone: c.report.reporterPhone,
        narrative: `${c.summary} (synthetic demo report)`,
        language: 'en',
        source_reliability: c.report.reliability,
        information_credibility: c.report.credibility,
        received_at: c.createdAt,
      })),
    );
    await demo.insertCaseReports(
      trx,
      dataset.cases.map((_c, i) => ({ case_id: caseIds[i] ?? '', report_id: reportIds[i] ?? '' })),
    );
    const marker: DemoMarker = { demo: true, seed: options.seed, seededAt: now.toISOString() };
    await setMeta(trx, 'demo', marker);
    await appendAudit(
      trx,
      { actor: null, system: 'seed.demo', sourceIp: null, requestId: null, now, timeZone: options.timeZone },
      {
        action: 'demo.seed',
        outcome: 'allowed',
        details: {
          seed: options.seed,
          agencies: agencies.length,
          users: accounts.length,
          persons: dataset.persons.length,
          cases: dataset.cases.length,
        },
      },
    );
    return {
      seed: options.seed,
      accounts: accounts.map(({ username, role, password }) => ({ username, role, password })),
      counts: {
        agencies: agencies.length,
        persons: dataset.persons.length,
        locations: dataset.locations.length,
        cases: dataset.cases.length,
      },
    };
  });
}
