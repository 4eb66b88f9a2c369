// Over 500 lines: the demo story is one deterministic script (accounts, then 125 days of cases in order); split, its order would be spread over files.
import { ZCasePatch, ZIntakeBody, ZReferralCreate, ZReferralReview } from '../contracts/cases.js';
import { authorize, isRole, type Permission, type PermissionTable, type Role, type UserActor } from '../domain/access/access-control.js';
import { addDays, centerToday } from '../domain/calendar/calendar-day.js';
import { closesOnApprovalOnly } from '../domain/cases/case-workflow.js';
import { csvText } from '../domain/csv/csv-text.js';
import { type DemoActor, type DemoStep, demoTimeline } from '../domain/demo/demo-timeline.js';
import { generateDataset, type StoryAction, type SyntheticCase, type SyntheticDataset } from '../domain/demo/synthetic-data.js';
import { AppError } from '../domain/errors/app-error.js';
import { CSV_COLUMNS } from '../domain/partner/agency-rules.js';
import type { ScreeningAnswers, ScreeningQuestion } from '../domain/safeguards/welfare-screening.js';
import type { Db } from '../storage/database.js';
import * as demo from '../storage/repositories/demo.repository.js';
import { getMeta, setMeta } from '../storage/repositories/meta.repository.js';
import { importAgencies } from './agency.service.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { updateCase, verifyLocation } from './case.service.js';
import { decideClosure, requestClosure } from './case-plan.service.js';
import { offlineGeocoder } from './geonames.js';
import { loadPermissionTable } from './identity-context.js';
import { saveIntake } from './intake.service.js';
import { intakeCommandOf } from './intake-body.mapper.js';
import { encrypt, type Keys } from './keys.js';
import { generatePassword, hashPassword } from './passwords.js';
import { addProtection } from './protection.service.js';
import { loadReferenceData, readAgencies } from './reference-data.service.js';
import { createReferral, reviewReferral, submitReferral } from './referral.service.js';
import { RoutingService } from './routing.service.js';
import { loadRoutingConfig } from './routing-admin.service.js';
import { newTotpSecret } from './totp.js';
import { closeWelfareReferral, completeScreening, sweepWelfareReferrals } from './welfare.service.js';

/**
 * The demo seed: one staff account per role, then four months of a center's
 * work played through the same services and the same safeguard gate as real
 * work — agencies registered by the demo administrator, reports taken by the
 * call taker through intake, cases triaged and worked by their unit, every UAC
 * case screened before it goes further, positive screenings turned into
 * welfare referrals and ACD work items that the UAC specialist takes from the
 * queue, referrals submitted to the gate (held ones decided by the legal
 * reviewer, blocked ones left as drafts), protections recorded. Every demo
 * state is therefore one the product can reach.
 *
 * The services commit one step at a time, so the seed cannot be one
 * transaction. Instead: under a session advisory lock, on an empty database
 * only, it first writes a "seeding" journal entry with the accounts; each
 * step's audit events carry the request id `demo-seed-<seed>-<step>`, so the
 * audit log says which steps are done; the "demo" marker that every other
 * command looks for is written last. A crash leaves a database that says it
 * is an interrupted seed (never one that looks complete), and `start` or
 * `seed` resumes it at the next step, deterministically: the same seed gives
 * the same persons, cases, dates and statuses, resumed or not.
 */

/** Ages and dates are anchored here so that one seed always reproduces the same records: the demo's "today". */
export const DEMO_REFERENCE_DATE = new Date('2026-11-01T12:00:00Z');
const DAY = 86_400_000;
/** The registry is loaded and the accounts made before the first case (cases go back 121 days). */
const DEMO_START = new Date(DEMO_REFERENCE_DATE.getTime() - 125 * DAY);
const ACCOUNTS_MADE_AT = new Date(DEMO_START.getTime() - 3_600_000);

/** A welfare work item at the desk: six minutes to make the referral, one to wrap up. */
const SHIFT_ITEM_MS = 7 * 60_000;
const WRAP_UP_MS = 60_000;

const DEMO_KEY = 'demo';
const SEEDING_KEY = 'demo_seeding';

export type DemoAccount = { username: string; role: Role; password: string };
export type DemoSeedResult = {
  seed: number;
  accounts: DemoAccount[];
  counts: { agencies: number; persons: number; locations: number; cases: number };
  /** Whether this run finished a seed that an earlier run had begun. */
  resumed: boolean;
};
export type DemoMarker = { demo: true; seed: number; seededAt: string };
export type DemoDatabaseState =
  | { kind: 'demo'; marker: DemoMarker }
  | { kind: 'interrupted'; seed: number; startedAt: string }
  | { kind: 'empty' }
  | { kind: 'in_use' };

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

/** Demo agents can take work at once: skills and languages for the queues' target expressions. */
const AGENT_SKILLS: Readonly<Record<string, string[]>> = {
  'demo.calltaker': ['public_intake', 'partner_intake', 'analysis'],
  'demo.uac': ['uac'],
  'demo.analyst': ['analysis'],
  'demo.supervisor': ['public_intake', 'partner_intake', 'analysis'],
};

/** The account that acts in each role. */
const ACTING: Readonly<Record<DemoActor, string>> = {
  call_taker: 'demo.calltaker',
  uac_specialist: 'demo.uac',
  analyst: 'demo.analyst',
  supervisor: 'demo.supervisor',
  legal_reviewer: 'demo.legal',
  admin: 'demo.admin',
};

const WELFARE_AGENCY: Readonly<Record<string, string>> = {
  orr: 'ORR',
  cps: "The state's child protective services",
  ncmec: 'NCMEC',
};

export async function readDemoMarker(db: Db): Promise<DemoMarker | undefined> {
  const value = await getMeta(db, DEMO_KEY);
  if (typeof value === 'object' && value !== null && 'seed' in value && typeof value.seed === 'number' && 'seededAt' in value) {
    return { demo: true, seed: value.seed, seededAt: String(value.seededAt) };
  }
  return undefined;
}

/**
 * What this database is to the demo seed: a finished demo database; one whose seed was interrupted (its journal
 * entry is there, its marker is not); an empty one (no accounts, persons, cases or agencies, and no server has run
 * its routing engine on it); or one in use, which the seed never touches.
 */
export async function demoDatabaseState(db: Db): Promise<DemoDatabaseState> {
  const marker = await readDemoMarker(db);
  if (marker) return { kind: 'demo', marker };
  const seeding = await getMeta(db, SEEDING_KEY);
  if (typeof seeding === 'object' && seeding !== null && 'seed' in seeding && typeof seeding.seed === 'number') {
    return { kind: 'interrupted', seed: seeding.seed, startedAt: 'startedAt' in seeding ? String(seeding.startedAt) : '' };
  }
  const counts = await demo.countRows(db);
  const empty =
    counts.users === 0 && counts.persons === 0 && counts.cases === 0 && counts.agencies === 0 && !(await demo.hasRoutingCommands(db));
  return empty ? { kind: 'empty' } : { kind: 'in_use' };
}

export type DemoSeedOptions = {
  seed: number;
  timeZone: string;
  /** When the seed runs (the wall clock, from the caller): kept in the marker. Demo data is dated on the demo's own calendar. */
  now: Date;
  progress?: (line: string) => void;
};

export async function seedDemo(db: Db, keys: Keys, options: DemoSeedOptions): Promise<DemoSeedResult> {
  const progress = options.progress ?? (() => undefined);
  if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 2 ** 31) {
    throw new AppError('validation_failed', 'the seed must be a whole number between 0 and 2147483648');
  }
  // Refused at once, before the slow hashing, when the database is plainly not one to seed.
  refuseUnlessSeedable(await demoDatabaseState(db), options.seed);
  await loadReferenceData(db);
  const dataset = generateDataset(options.seed, DEMO_REFERENCE_DATE);
  const steps = demoTimeline(dataset, DEMO_START, DEMO_REFERENCE_DATE);
  // Hash before taking the lock: argon2 is deliberately slow and holds nothing.
  progress(`hashing ${DEMO_ACCOUNTS.length} demo passwords (argon2id)…`);
  const accounts = await Promise.all(
    DEMO_ACCOUNTS.map(async (account) => {
      const password = generatePassword();
      return { ...account, password, hash: await hashPassword(password) };
    }),
  );

  // One connection holds the seed's lock and does all of its work, one step after another.
  return db.connection().execute(async (conn) => {
    if (!(await demo.tryLockSeed(conn))) {
      progress('another process is adding demo data to this database; waiting for it…');
      await demo.lockSeed(conn);
    }
    try {
      // Asked again under the lock: another process may have seeded while this one hashed or waited.
      const state = await demoDatabaseState(conn);
      refuseUnlessSeedable(state, options.seed);
      const resumed = state.kind === 'interrupted';
      await demo.setSynchronousCommit(conn, false);
      try {
        if (!resumed) {
          progress('adding one demo account per role…');
          await addAccounts(conn, keys, accounts, options);
        }
        const partnerOfficer = accounts.find((a) => a.role === 'partner_officer');
        if (!partnerOfficer) throw new Error('demo seed: no partner officer account');
        const run = await SeedRun.open({
          db: conn,
          keys,
          partnerOfficer,
          dataset,
          steps,
          seed: options.seed,
          timeZone: options.timeZone,
          progress,
        });
        try {
          await run.play(resumed);
        } finally {
          await run.close();
        }
        // The marker commits with the WAL flush: once it is there, so is every step before it.
        await demo.setSynchronousCommit(conn, true);
        await finish(conn, accounts, options, resumed);
      } finally {
        await demo.setSynchronousCommit(conn, true).catch(() => undefined);
      }
      const counts = await demo.countRows(conn);
      const summary = await demo.demoSummary(conn);
      const list = (tally: Record<string, number>) =>
        Object.entries(tally)
          .map(([k, n]) => `${n} ${k.replace('_', ' ')}`)
          .join(', ');
      progress(
        `demo cases: ${list(summary.cases)}; referrals: ${list(summary.referrals)}; welfare screenings: ${list(summary.screenings)}`,
      );
      return {
        seed: options.seed,
        accounts: accounts.map(({ username, role, password }) => ({ username, role, password })),
        counts: { agencies: counts.agencies, persons: counts.persons, locations: counts.locations, cases: counts.cases },
        resumed,
      };
    } finally {
      await demo.unlockSeed(conn).catch(() => undefined);
    }
  });
}

function refuseUnlessSeedable(state: DemoDatabaseState, seed: number): void {
  if (state.kind === 'demo') throw new AppError('conflict', 'this database already holds demo data');
  if (state.kind === 'in_use') {
    throw new AppError('conflict', 'this database holds data that is not demo data; the demo seed only runs on an empty database');
  }
  if (state.kind === 'interrupted' && state.seed !== seed) {
    throw new AppError(
      'conflict',
      `this database holds a demo seed that was interrupted (seed ${state.seed}, begun ${state.startedAt}); finish it with \`switchboard seed --demo --seed ${state.seed}\` (or \`switchboard start\`), or start again on an empty database`,
    );
  }
}

const seedContext = (at: Date, timeZone: string, requestId: string): RequestContext => ({
  actor: null,
  system: 'seed.demo',
  sourceIp: null,
  requestId,
  now: at,
  timeZone,
});

type HashedAccount = (typeof DEMO_ACCOUNTS)[number] & { hash: string };

/**
 * The journal entry that says a seed has begun, and the staff accounts, in one transaction. The partner officer's
 * account waits for the registry (their agency must be registered first), as the product's own rule has it.
 */
async function addAccounts(db: Db, keys: Keys, accounts: readonly HashedAccount[], options: DemoSeedOptions) {
  const staff = accounts.filter((a) => a.role !== 'partner_officer');
  await db.transaction().execute(async (trx) => {
    await setMeta(trx, SEEDING_KEY, { seed: options.seed, startedAt: options.now.toISOString() });
    await demo.insertUsers(
      trx,
      staff.map((a) => userRow(keys, a, null)),
    );
    const agents = await demo.findUsers(trx, Object.keys(AGENT_SKILLS));
    await demo.insertRoutingWorkers(
      trx,
      agents.map((u) => ({
        user_id: u.id,
        attributes: JSON.stringify({ skills: AGENT_SKILLS[u.username] ?? [], languages: ['en', 'es'] }),
      })),
    );
    await appendAudit(trx, seedContext(ACCOUNTS_MADE_AT, options.timeZone, `demo-seed-${options.seed}`), {
      action: 'demo.seed_begin',
      outcome: 'allowed',
      details: { seed: options.seed, accounts: staff.map((a) => a.username) },
    });
  });
}

/** A demo account comes enrolled (an encrypted TOTP seed), so that `switchboard demo codes` can stand in for a phone. */
const userRow = (keys: Keys, a: HashedAccount, agencyOri: string | null) => ({
  username: a.username,
  display_name: a.displayName,
  role: a.role,
  unit: a.unit,
  agency_ori: agencyOri,
  field_office_code: a.role === 'field_officer' ? 'NOL' : null,
  password_hash: a.hash,
  password_changed_at: ACCOUNTS_MADE_AT,
  created_at: ACCOUNTS_MADE_AT,
  totp_secret_enc: encrypt(keys, newTotpSecret()),
  totp_enrolled_at: ACCOUNTS_MADE_AT,
});

/** The last transaction: on a resumed seed the passwords nobody saw are replaced; then the marker every command looks for. */
async function finish(db: Db, accounts: { username: string; hash: string }[], options: DemoSeedOptions, resumed: boolean) {
  await db.transaction().execute(async (trx) => {
    const ctx = seedContext(DEMO_REFERENCE_DATE, options.timeZone, `demo-seed-${options.seed}`);
    if (resumed) {
      for (const a of accounts) await demo.setPassword(trx, a.username, a.hash, DEMO_REFERENCE_DATE);
      await appendAudit(trx, ctx, {
        action: 'demo.accounts_reset',
        outcome: 'allowed',
        details: { reason: 'the interrupted seed never showed its passwords', accounts: accounts.map((a) => a.username) },
      });
    }
    const counts = await demo.countRows(trx);
    await setMeta(trx, DEMO_KEY, { demo: true, seed: options.seed, seededAt: options.now.toISOString() } satisfies DemoMarker);
    await appendAudit(trx, ctx, {
      action: 'demo.seed',
      outcome: 'allowed',
      details: { seed: options.seed, resumed, ...counts },
    });
  });
}

/** Every question answered: yes for the indicators found, no for the rest. */
function screeningAnswers(indicators: readonly ScreeningQuestion[]): ScreeningAnswers {
  const answer = (q: ScreeningQuestion) => ({ answer: indicators.includes(q) ? ('yes' as const) : ('no' as const) });
  return {
    trafficking_indicators: answer('trafficking_indicators'),
    labour_exploitation: answer('labour_exploitation'),
    abuse_or_neglect: answer('abuse_or_neglect'),
    missing_from_sponsor: answer('missing_from_sponsor'),
    unsafe_sponsor_placement: answer('unsafe_sponsor_placement'),
    urgent_medical_need: answer('urgent_medical_need'),
    urgent_mental_health_need: answer('urgent_mental_health_need'),
  };
}

type CaseIds = {
  caseId: string;
  reportId: string;
  /** Person ids by the dataset's person key. */
  persons: Map<string, string>;
  locations: { personKey: string; id: string }[];
  referralId?: string;
};

type RunDeps = {
  db: Db;
  keys: Keys;
  /** Added once the registry holds their agency. */
  partnerOfficer: HashedAccount;
  dataset: SyntheticDataset;
  steps: DemoStep[];
  seed: number;
  timeZone: string;
  progress: (line: string) => void;
};

/**
 * Plays the timeline. The clock is the demo's: it moves to each step's time (never back), and the routing engine the
 * seed opens runs on it, so work items arrive when the screenings that made them were completed.
 */
class SeedRun {
  private readonly cases = new Map<string, CaseIds>();
  private readonly byKey: Map<string, SyntheticCase>;
  private readonly geocoder = offlineGeocoder();
  /** The registry the administrator imports (reference/agencies.json), read once. */
  private readonly agencies = readAgencies();
  private readonly people: Map<string, SyntheticDataset['persons'][number]>;
  private actors = new Map<string, UserActor>();
  /** Items a resumed shift had finished before the crash. */
  private shiftItemsDone = 0;

  private constructor(
    private readonly deps: RunDeps,
    private readonly clock: { now: Date },
    private readonly routing: RoutingService,
    private readonly permissions: PermissionTable,
  ) {
    this.byKey = new Map(deps.dataset.cases.map((c) => [c.key, c]));
    this.people = new Map(deps.dataset.persons.map((p) => [p.key, p]));
  }

  static async open(deps: RunDeps): Promise<SeedRun> {
    const clock = { now: DEMO_START };
    const routing = await RoutingService.open(deps.db, await loadRoutingConfig(deps.db), () => clock.now);
    const run = new SeedRun(deps, clock, routing, await loadPermissionTable(deps.db));
    await run.loadActors();
    return run;
  }

  async close(): Promise<void> {
    await this.routing.stop();
  }

  private requestId(step: number): string {
    return `demo-seed-${this.deps.seed}-${String(step).padStart(5, '0')}`;
  }

  private async loadActors(): Promise<void> {
    const rows = await demo.findUsers(this.deps.db, DEMO_ACCOUNT_USERNAMES);
    this.actors = new Map(
      rows.flatMap((u) =>
        isRole(u.role)
          ? [
              [
                u.username,
                {
                  kind: 'user' as const,
                  userId: u.id,
                  username: u.username,
                  role: u.role,
                  agencyOri: u.agency_ori,
                  fieldOfficeCode: u.field_office_code,
                  sessionId: null,
                },
              ],
            ]
          : [],
      ),
    );
  }

  /** The acting account, checked against the permission table as the route's guard would check it. */
  private as(role: DemoActor, permission: Permission): UserActor {
    const actor = this.actors.get(ACTING[role]);
    if (!actor) throw new Error(`demo seed: no account ${ACTING[role]}`);
    const decision = authorize(this.permissions, actor, permission);
    if (!decision.allowed) throw new Error(`demo seed: ${actor.username} may not ${permission} (${decision.reason})`);
    return actor;
  }

  private ctx(step: number, actor: UserActor): RequestContext & { actor: UserActor } {
    return { actor, sourceIp: null, requestId: this.requestId(step), now: this.clock.now, timeZone: this.deps.timeZone };
  }

  private advance(ms: number): void {
    this.clock.now = new Date(this.clock.now.getTime() + ms);
  }

  private ids(caseKey: string): CaseIds {
    const ids = this.cases.get(caseKey);
    if (!ids) throw new Error(`demo seed: case ${caseKey} has no intake yet`);
    return ids;
  }

  private person(caseKey: string, personKey: string): string {
    const id = this.ids(caseKey).persons.get(personKey);
    if (!id) throw new Error(`demo seed: ${personKey} is not on case ${caseKey}`);
    return id;
  }

  async play(resumed: boolean): Promise<void> {
    const { steps, progress } = this.deps;
    let first = 0;
    if (resumed) {
      first = await this.recover();
      progress(`an interrupted demo seed (seed ${this.deps.seed}): resuming at step ${first + 1} of ${steps.length}…`);
    }
    if (first === 0) progress(`adding ${this.agencies.length} synthetic partner agencies…`);
    progress(
      `playing ${steps.length - first} steps of the demo's four months through the services: intakes, triage, welfare screenings, referrals through the safeguard gate…`,
    );
    let reported = first;
    for (let i = first; i < steps.length; i++) {
      const step = steps[i];
      if (!step) continue;
      const at = new Date(step.at);
      if (at.getTime() > this.clock.now.getTime()) this.clock.now = at;
      try {
        await this.run(i, step);
      } catch (error) {
        const what = step.kind === 'story' ? `${step.action.kind} of case ${step.caseKey}` : step.kind;
        throw new Error(`demo seed: step ${i + 1} (${what}) failed: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
        });
      }
      if (i + 1 - reported >= Math.ceil(steps.length / 4) && i + 1 < steps.length) {
        reported = i + 1;
        progress(`… ${i + 1} of ${steps.length} steps (demo time ${step.at.slice(0, 10)})`);
      }
    }
  }

  /**
   * Reads back what the interrupted run did from its journal: the steps whose audit events are there are done (each
   * is one transaction with its audit event), except a shift that did not end (it is played again: a shift takes
   * whatever is in the queue and in hand, so playing it twice does nothing twice). Returns the step to play next.
   */
  private async recover(): Promise<number> {
    const { db, steps, seed } = this.deps;
    const events = await demo.listSeedEvents(db, `demo-seed-${seed}-`);
    const byStep = new Map<number, typeof events>();
    for (const e of events) {
      const step = Number(/-(\d+)$/.exec(e.request_id ?? '')?.[1] ?? Number.NaN);
      if (Number.isInteger(step)) byStep.set(step, [...(byStep.get(step) ?? []), e]);
    }
    const frontier = Math.max(-1, ...byStep.keys());
    for (let i = 0; i <= frontier; i++) {
      const step = steps[i];
      const done = byStep.get(i) ?? [];
      if (step?.kind === 'intake') {
        const saved = done.find((e) => e.action === 'intake.save');
        const caseId = saved?.details.caseId;
        if (saved?.resource_id && typeof caseId === 'string') {
          this.cases.set(step.caseKey, { caseId, reportId: saved.resource_id, persons: new Map(), locations: [] });
        }
      } else if (step?.kind === 'story' && step.action.kind === 'draft_referral') {
        const created = done.find((e) => e.action === 'referral.create');
        const ids = this.cases.get(step.caseKey);
        if (ids && created?.resource_id) ids.referralId = created.resource_id;
      }
    }
    const byReport = new Map([...this.cases].map(([key, ids]) => [ids.reportId, { key, ids }]));
    for (const s of await demo.reportSubjects(db, [...byReport.keys()])) {
      const found = byReport.get(s.report_id);
      const personKey = found && this.byKey.get(found.key)?.subjects.find((x) => x.role === s.role)?.personKey;
      if (found && personKey) found.ids.persons.set(personKey, s.person_id);
    }
    for (const l of await demo.reportLocations(db, [...byReport.keys()])) {
      const found = l.report_id ? byReport.get(l.report_id) : undefined;
      const personKey = found && [...found.ids.persons].find(([, id]) => id === l.person_id)?.[0];
      if (found && personKey) found.ids.locations.push({ personKey, id: l.id });
    }
    const last = steps[frontier];
    if (last) this.clock.now = new Date(Math.max(DEMO_START.getTime(), Date.parse(last.at)));
    // A screening commits before its work items are made: any item the crash lost is made again (nothing is overdue).
    await sweepWelfareReferrals({ db, routing: this.routing, timeZone: this.deps.timeZone }, this.clock.now);
    const atFrontier = byStep.get(frontier) ?? [];
    const ended = atFrontier.some((e) => e.action === 'routing.setActivity' && e.details.activity === 'Offline');
    if (last?.kind !== 'shift' || ended) return frontier + 1;
    // The shift is played again from the item it was on, at the time that item began.
    this.shiftItemsDone = atFrontier.filter((e) => e.action === 'routing.finishWrapUp').length;
    return frontier;
  }

  private async run(i: number, step: DemoStep): Promise<void> {
    switch (step.kind) {
      case 'register_agencies':
        return this.registerAgencies(i);
      case 'add_partner_officer':
        return this.addPartnerOfficer(i);
      case 'intake':
        return this.intake(i, step.caseKey);
      case 'shift':
        return this.shift(i);
      case 'story':
        return this.story(i, step.actor, step.caseKey, step.action);
    }
  }

  /** The demo administrator imports the registry of partner agencies (reference/agencies.json) as a CSV file. */
  private async registerAgencies(i: number): Promise<void> {
    const admin = this.as('admin', 'agency:manage');
    const rows = this.agencies.map((a) => [
      a.ori,
      a.name,
      a.type,
      a.county ?? '',
      a.agreement.model,
      a.agreement.status,
      a.agreement.effective,
      a.agreement.end ?? '',
      '',
      '',
      '',
    ]);
    const csv = csvText([CSV_COLUMNS, ...rows], { escapeFormulas: false });
    const report = await importAgencies(this.deps.db, this.ctx(i, admin), csv);
    if (report.errors > 0) throw new Error(`the agency registry refused ${report.errors} of the demo agencies`);
  }

  /** The partner officer's account, once their agency is registered. */
  private async addPartnerOfficer(i: number): Promise<void> {
    const admin = this.as('admin', 'user:manage');
    const agency = this.agencies.find((a) => a.agreement.status === 'active');
    const account = this.deps.partnerOfficer;
    if (!agency) throw new Error('no active agency for the demo partner officer');
    await this.deps.db.transaction().execute(async (trx) => {
      await demo.insertUsers(trx, [userRow(this.deps.keys, account, agency.ori)]);
      await appendAudit(trx, this.ctx(i, admin), {
        action: 'demo.account_add',
        outcome: 'allowed',
        resourceType: 'user',
        details: { username: account.username, role: account.role, agencyOri: agency.ori },
      });
    });
    await this.loadActors();
  }

  /** The report, taken on the phone by the call taker: its subjects, their locations and the case it opens. */
  private async intake(i: number, caseKey: string): Promise<void> {
    const c = this.byKey.get(caseKey);
    if (!c) throw new Error(`no case ${caseKey}`);
    const callTaker = this.as('call_taker', 'report:create');
    const agencies = this.agencies.filter((a) => a.agreement.status === 'active');
    const agency = agencies.find((a) => a.state === c.state) ?? agencies[0];
    const body = ZIntakeBody.parse({
      source: c.report.source,
      reporter:
        c.report.source === 'public'
          ? { phone: c.report.reporterPhone ?? undefined }
          : c.report.officer
            ? { name: c.report.officer.name, badge: c.report.officer.badge, agencyOri: agency?.ori }
            : {},
      narrative: `${c.summary} (synthetic demo report)`,
      language: c.report.language,
      grading: { sourceReliability: c.report.reliability, informationCredibility: c.report.credibility },
      subjects: c.subjects.map((s) => {
        const p = this.people.get(s.personKey);
        if (!p) throw new Error(`no person ${s.personKey}`);
        return {
          role: s.role,
          person: {
            givenNames: p.givenNames,
            familyName1: p.familyName1,
            ...(p.familyName2 ? { familyName2: p.familyName2 } : {}),
            dob: p.dob,
            dobBasis: p.dobBasis,
            sex: p.sex,
            nationalities: [p.nationality],
            languages: ['es'],
            identifiers: p.aNumber ? { aNumber: `A${p.aNumber}` } : {},
          },
        };
      }),
      locations: c.locations.map((l) => ({
        subject: c.subjects.findIndex((s) => s.personKey === l.personKey),
        address: {
          ...(l.address.line1 ? { line1: l.address.line1 } : {}),
          city: l.address.city,
          county: l.address.county,
          state: l.address.state,
          ...(l.address.zip ? { zip: l.address.zip } : {}),
        },
        observedAt: l.observedAt,
        confidence: l.confidence,
      })),
      case: { open: { type: c.type, priority: c.priority, summary: c.summary } },
    });
    const result = await saveIntake({ db: this.deps.db, geocoder: this.geocoder }, this.ctx(i, callTaker), intakeCommandOf(body));
    const at = <T>(list: T[], n: number): T => {
      const item = list[n];
      if (item === undefined) throw new Error('intake answered with fewer subjects or locations than it was given');
      return item;
    };
    this.cases.set(caseKey, {
      caseId: result.case.id,
      reportId: result.report.id,
      persons: new Map(c.subjects.map((s, n) => [s.personKey, at(result.subjects, n).personId])),
      locations: c.locations.map((l, n) => ({ personKey: l.personKey, id: at(result.locations, n).id })),
    });
  }

  private async story(i: number, role: DemoActor, caseKey: string, action: StoryAction): Promise<void> {
    const { db, timeZone } = this.deps;
    const ids = this.ids(caseKey);
    switch (action.kind) {
      case 'triage':
      case 'activate':
      case 'close': {
        if (action.kind === 'close' && closesOnApprovalOnly(await demo.caseType(db, ids.caseId))) {
          // A child's case closes on a supervisor's approval of the specialist's request (case-plan.service.ts).
          const note = 'The child is safe with the sponsor and every service is resolved.';
          const asked = await requestClosure(db, this.ctx(i, this.as('uac_specialist', 'plan:write')), ids.caseId, {
            reason: action.reason,
            note,
          });
          const requestedAt = asked.closure?.requested_at.toISOString() ?? '';
          await decideClosure(db, this.ctx(i, this.as('supervisor', 'plan:approve')), ids.caseId, { decision: 'approve', requestedAt });
          return;
        }
        const actor = this.as(role, 'case:write');
        const version = await demo.caseVersion(db, ids.caseId);
        const patch =
          action.kind === 'triage'
            ? { version, status: 'triage', assigneeId: actor.userId }
            : action.kind === 'activate'
              ? { version, status: 'active' }
              : { version, status: 'closed', reason: action.reason };
        await updateCase(db, this.ctx(i, actor), ids.caseId, ZCasePatch.parse(patch));
        return;
      }
      case 'screen': {
        const actor = this.as(role, 'welfare:screen');
        await completeScreening({ db, routing: this.routing, timeZone }, this.ctx(i, actor), ids.caseId, {
          personId: this.person(caseKey, action.personKey),
          answers: screeningAnswers(action.indicators),
          notes:
            action.indicators.length > 0
              ? 'Indicators noted on the call with the child; welfare referrals made as the screening directs.'
              : 'No indicators on the call with the child and the sponsor.',
        });
        return;
      }
      case 'protect': {
        const actor = this.as(role, 'protection:write');
        const ctx = this.ctx(i, actor);
        await addProtection(db, ctx, this.person(caseKey, action.personKey), {
          kind: action.protection.kind,
          source: action.protection.source,
          reference: action.protection.reference,
          startsOn: addDays(centerToday(ctx), -action.protection.startedDaysBefore),
          verified: action.protection.verified,
        });
        return;
      }
      case 'draft_referral': {
        const actor = this.as(role, 'referral:create');
        const created = await createReferral(
          { db, permissions: this.permissions },
          this.ctx(i, actor),
          ids.caseId,
          ZReferralCreate.parse({ purpose: action.purpose, notes: action.notes }),
        );
        ids.referralId = created.referral.id;
        return;
      }
      case 'submit_referral':
      case 'resubmit_referral': {
        const actor = this.as(role, 'referral:create');
        const referralId = ids.referralId;
        if (!referralId) throw new Error('no referral drafted');
        // Submitted again only if the gate left it a draft (blocked) and it has since been corroborated.
        if (action.kind === 'resubmit_referral' && (await demo.referralStatus(db, referralId)) !== 'draft') return;
        await this.gateAnswer(() => submitReferral({ db, permissions: this.permissions }, this.ctx(i, actor), referralId));
        return;
      }
      case 'review_referral': {
        const referralId = ids.referralId;
        if (!referralId || (await demo.referralStatus(db, referralId)) !== 'pending_review') return;
        const reviewer = this.as(role, 'referral:review');
        await this.gateAnswer(() =>
          reviewReferral(
            { db, permissions: this.permissions },
            this.ctx(i, reviewer),
            referralId,
            ZReferralReview.parse({ decision: action.decision, justification: action.justification }),
          ),
        );
        return;
      }
      case 'verify_location': {
        const referralId = ids.referralId;
        if (!referralId || (await demo.referralStatus(db, referralId)) !== 'draft') return;
        const actor = this.as(role, 'case:write');
        const location = ids.locations.find((l) => l.personKey === action.personKey);
        if (!location) return;
        await verifyLocation(
          db,
          this.ctx(i, actor),
          location.id,
          'Confirmed with the reporting agency and a records check that the subject lives at this address.',
        );
        return;
      }
    }
  }

  /**
   * The gate may block a submission: the answer is stored on the referral (it stays a draft) and that is the demo's
   * outcome. An approval of a referral that names a child's sponsor is refused until a legal reviewer approves naming
   * the sponsor (issue #22): the demo leaves it held, waiting for that.
   */
  private async gateAnswer(submit: () => Promise<unknown>): Promise<void> {
    try {
      await submit();
    } catch (error) {
      if (!(error instanceof AppError && (error.code === 'referral_blocked' || error.code === 'disclosure_refused'))) throw error;
    }
  }

  /**
   * A shift at the UAC unit's welfare desk: the UAC specialist becomes available, and the ACD offers the work items
   * waiting in the UAC work queue; each is accepted, its welfare referral made (and recorded), completed and wrapped
   * up; then the specialist goes offline. What is already in hand (a shift interrupted by a crash) is finished first.
   */
  private async shift(i: number): Promise<void> {
    const actor = this.as('uac_specialist', 'routing:work');
    this.as('uac_specialist', 'welfare:screen');
    const engine = () => this.routing.engine;
    const ctx = () => this.ctx(i, actor);
    // Each item takes the same time, so a shift resumed after a crash keeps the times an uninterrupted one has.
    this.advance(this.shiftItemsDone * SHIFT_ITEM_MS);
    this.shiftItemsDone = 0;
    await this.routing.ensureWorker(actor, ctx());
    if (engine().worker(actor.userId)?.activity !== 'Available') {
      await this.routing.execute({ type: 'setActivity', workerId: actor.userId, activity: 'Available' }, ctx());
    }
    // Bounded: a shift takes at most what four months of positive screenings could leave in the queue.
    for (let guard = 0; guard < 1_000; guard++) {
      for (const offer of engine().pendingReservationsOf(actor.userId)) {
        await this.routing.execute({ type: 'accept', reservationId: offer.id }, ctx());
      }
      const inHand = [...engine().allTasks()]
        .filter((t) => t.workerId === actor.userId && (t.status === 'assigned' || t.status === 'wrapping'))
        .sort((a, b) => a.seq - b.seq);
      const task = inHand[0];
      if (!task) break;
      this.advance(SHIFT_ITEM_MS - WRAP_UP_MS);
      if (task.status === 'assigned') {
        const referralId = task.attributes.welfareReferral;
        const referral = typeof referralId === 'string' ? await demo.findWelfareReferral(this.deps.db, referralId) : undefined;
        if (referral?.status === 'open') {
          await closeWelfareReferral(
            this.deps.db,
            ctx(),
            referral.id,
            `${WELFARE_AGENCY[referral.agency] ?? referral.agency} notified by phone and in writing; their intake number is on the call log.`,
          );
        }
        await this.routing.execute({ type: 'complete', taskId: task.id }, ctx());
      }
      this.advance(WRAP_UP_MS);
      await this.routing.execute({ type: 'finishWrapUp', taskId: task.id }, ctx());
    }
    await this.routing.execute({ type: 'setActivity', workerId: actor.userId, activity: 'Offline' }, ctx());
  }
}
