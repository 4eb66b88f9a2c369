import { createHash, randomInt } from 'node:crypto';
import type { Actor } from '../domain/access/access-control.js';
import { centerToday } from '../domain/calendar/calendar-day.js';
import { mayReadUnit, UNIT_OF } from '../domain/cases/case-workflow.js';
import type { FieldIssue } from '../domain/errors/app-error.js';
import { resolveAor } from '../domain/geo/area-of-responsibility.js';
import type { Geocode, Geocoder } from '../domain/geo/geocoder.js';
import {
  type CheckedPerson,
  checkIntake,
  type IntakeCandidate,
  type IntakeCommand,
  type IntakeName,
  type IntakeResult,
  intakeRefused,
} from '../domain/intake/intake-command.js';
import { personKeys } from '../domain/matching/blocking.js';
import { fold } from '../domain/matching/names.js';
import { type MatchablePerson, scoreMatch } from '../domain/matching/score.js';
import type { Db, Trx } from '../storage/database.js';
import { addDobAssertion } from '../storage/repositories/age.repository.js';
import { addCaseEvent, insertObservation, nextReference, survivorOf } from '../storage/repositories/case.repository.js';
import * as intake from '../storage/repositories/intake.repository.js';
import { personExists } from '../storage/repositories/person.repository.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { toMatchable } from './person-search.service.js';
import { loadAorTable } from './reference-data.service.js';

/**
 * Saving an intake: the report, its subjects (linked to existing people or
 * created), their locations (geocoded, with the report as their source) and
 * the case it opens or adds to — in one transaction, so a failure anywhere
 * leaves nothing behind. Every rule is checked before anything is written and
 * every broken rule is reported at once, at the path of its field in the
 * caller's input (the command's `fields`).
 */

export type IntakeDeps = { db: Db; geocoder: Geocoder };

/** A callback code for an anonymous caller: 10 digits, shown once; we keep only its hash. */
const hashCallbackCode = (code: string): string => createHash('sha256').update(code.replace(/\D/g, '')).digest('hex');
const newCallbackCode = (): string => {
  const digits = Array.from({ length: 10 }, () => randomInt(10)).join('');
  return `${digits.slice(0, 3)}-${digits.slice(3, 6)}-${digits.slice(6)}`;
};

export async function saveIntake(deps: IntakeDeps, ctx: RequestContext & { actor: Actor }, command: IntakeCommand): Promise<IntakeResult> {
  const now = ctx.now;
  const { fields } = command;
  const geocodes: (Geocode | undefined)[] = [];
  const addressIssues: FieldIssue[][] = [];
  for (const [i, location] of command.locations.entries()) {
    const result = await deps.geocoder.geocode(location.address, fields.address(i));
    geocodes.push(result.ok ? result.geocode : undefined);
    addressIssues.push(result.ok ? [] : result.issues);
  }
  const checked = checkIntake(command, now, centerToday(ctx), addressIssues);
  const { issues, receivedAt, reporterPhone, subjects } = checked;
  if (issues.length > 0) throw intakeRefused(issues);

  const actorId = ctx.actor.kind === 'user' ? ctx.actor.userId : null;
  const callbackCode = command.source === 'anonymous' ? newCallbackCode() : undefined;

  return deps.db.transaction().execute(async (trx) => {
    // Rules that need the database: the agency, the people and the case named must exist.
    const late: FieldIssue[] = [];
    if (command.reporter.agencyOri && !(await intake.agencyExists(trx, command.reporter.agencyOri)))
      late.push({ path: fields.agencyOri, code: 'unknown_agency', message: `${command.reporter.agencyOri} is not a registered agency` });
    const existingIds = new Map<number, string>();
    for (const [i, s] of command.subjects.entries()) {
      if (!('personId' in s)) continue;
      if (await personExists(trx, s.personId)) existingIds.set(i, await survivorOf(trx, s.personId));
      else late.push({ path: fields.personId(i), code: 'unknown_person', message: 'there is no such person' });
    }
    let existingCase: { id: string; case_number: string; aor_office_code: string | null; unit: string } | undefined;
    if ('caseId' in command.case) {
      const found = await intake.findCaseForUpdate(trx, command.case.caseId);
      // A case the caller may not know of (a UAC case, outside the unit) is answered exactly like a missing one.
      existingCase = found && mayReadUnit(ctx.actor, found.unit) ? found : undefined;
      if (!existingCase) late.push({ path: fields.caseId, code: 'unknown_case', message: 'there is no such case' });
    }
    if (late.length > 0) throw intakeRefused([...issues, ...late]);

    const reference = await nextReference(trx, 'R', ctx);
    const reportId = await intake.insertReport(trx, {
      reference,
      source: command.source,
      reporter_name: command.reporter.name ?? null,
      reporter_phone: reporterPhone ?? null,
      reporter_email: command.reporter.email ?? null,
      reporter_agency_ori: command.reporter.agencyOri ?? null,
      reporter_badge: command.reporter.badge ?? null,
      callback_code_hash: callbackCode ? hashCallbackCode(callbackCode) : null,
      narrative: command.narrative,
      language: command.language,
      source_reliability: command.grading.sourceReliability,
      information_credibility: command.grading.informationCredibility,
      call_id: command.callId ?? null,
      submission_id: command.submissionId ?? null,
      received_at: receivedAt,
      created_by: actorId,
    });

    const subjectResults: IntakeResult['subjects'] = [];
    const personIds: string[] = [];
    for (const [i, s] of subjects.entries()) {
      let personId: string;
      let outcome: IntakeResult['subjects'][number];
      if ('personId' in s) {
        personId = existingIds.get(i) ?? s.personId;
        outcome = { personId, created: false, linkedBy: 'person_id', candidates: [] };
      } else {
        const linked = s.identifiers.aNumber ? await intake.findPersonIdByANumber(trx, s.identifiers.aNumber) : undefined;
        if (linked) {
          personId = await survivorOf(trx, linked);
          await addKnowledge(trx, personId, s, reportId, now, actorId);
          outcome = { personId, created: false, linkedBy: 'a_number', candidates: [] };
        } else {
          personId = await createPerson(trx, s, reportId, actorId, now);
          outcome = { personId, created: true, linkedBy: 'new', candidates: await candidatesFor(trx, personId, s) };
        }
      }
      personIds.push(personId);
      subjectResults.push(outcome);
      await intake.insertReportSubject(trx, reportId, personId, s.role);
    }

    const aorTable = await loadAorTable(trx);
    const locationResults: IntakeResult['locations'] = [];
    for (const [i, location] of command.locations.entries()) {
      const geo = geocodes[i];
      const personId = personIds[location.subject];
      if (!geo || !personId) throw new Error('intake: location without its geocode or subject');
      const aor = resolveAor(aorTable, geo.state, geo.county);
      const id = await insertObservation(trx, {
        personId,
        geo,
        aorOfficeCode: aor?.officeCode ?? null,
        source: `${command.source} report ${reference}`,
        reportId,
        confidence: location.confidence,
        observedAt: location.observedAt ?? receivedAt,
        reportedAt: receivedAt,
      });
      locationResults.push({ id, precision: geo.precision, aorOfficeCode: aor?.officeCode ?? null, warnings: geo.warnings });
    }

    const firstAor = locationResults.find((l) => l.aorOfficeCode)?.aorOfficeCode ?? null;
    let caseId: string;
    let caseNumber: string;
    let caseUnit: string;
    const opened = !existingCase;
    if (existingCase) {
      caseId = existingCase.id;
      caseNumber = existingCase.case_number;
      // Read under the lock taken above: the unit cannot have changed since.
      caseUnit = existingCase.unit;
      await intake.touchCaseForIntake(trx, caseId, now, existingCase.aor_office_code === null ? firstAor : null);
    } else if ('open' in command.case) {
      const open = command.case.open;
      caseNumber = await nextReference(trx, 'C', ctx);
      caseUnit = UNIT_OF[open.type];
      caseId = await intake.insertCase(trx, {
        case_number: caseNumber,
        type: open.type,
        status: 'new',
        priority: open.priority,
        unit: caseUnit,
        aor_office_code: firstAor,
        aor_basis: firstAor ? 'location' : null,
        summary: open.summary,
        created_by: actorId,
        created_at: now,
        updated_at: now,
      });
      await addCaseEvent(trx, {
        caseId,
        at: now,
        actorId,
        kind: 'opened',
        details: { type: open.type, priority: open.priority, aorOfficeCode: firstAor },
      });
    } else throw new Error('intake: neither an existing case nor a new one');

    // A child on a UAC case came unaccompanied: class-wide orders test this.
    const children = personIds.filter((_id, i) => subjects[i]?.role === 'child');
    if (caseUnit === 'uac' && children.length > 0) await intake.markUnaccompanied(trx, children, now);
    await intake.insertCaseReport(trx, caseId, reportId);
    await addCaseEvent(trx, {
      caseId,
      at: now,
      actorId,
      kind: 'report_added',
      details: { reportId, reference, source: command.source },
    });
    for (const [i, personId] of personIds.entries()) {
      const role = subjects[i]?.role ?? 'subject';
      if (await intake.insertCaseSubject(trx, caseId, personId, role))
        await addCaseEvent(trx, { caseId, at: now, actorId, kind: 'subject_added', details: { personId, role } });
    }
    for (const l of locationResults) {
      await addCaseEvent(trx, {
        caseId,
        at: now,
        actorId,
        kind: 'location_added',
        details: { locationId: l.id, precision: l.precision, aorOfficeCode: l.aorOfficeCode },
      });
    }
    await appendAudit(trx, ctx, {
      action: 'intake.save',
      outcome: 'allowed',
      resourceType: 'report',
      resourceId: reportId,
      details: {
        caseId,
        caseOpened: opened,
        subjects: personIds.length,
        personsCreated: subjectResults.filter((s) => s.created).length,
        locations: locationResults.length,
      },
    });
    return {
      report: { id: reportId, reference, ...(callbackCode ? { callbackCode } : {}) },
      case: { id: caseId, caseNumber, opened, unit: caseUnit },
      subjects: subjectResults,
      locations: locationResults,
    };
  });
}

const matchable = (p: IntakeName): MatchablePerson => ({
  givenNames: p.givenNames,
  familyName1: p.familyName1,
  familyName2: p.familyName2 ?? null,
});

async function createPerson(trx: Trx, s: CheckedPerson, reportId: string, actorId: string | null, now: Date): Promise<string> {
  const p = s.input;
  const self: MatchablePerson = {
    ...matchable(p),
    dob: p.dob ?? null,
    dobBasis: p.dobBasis,
    sex: p.sex,
    aNumber: s.identifiers.aNumber,
  };
  const personId = await intake.insertPerson(trx, {
    given_names: p.givenNames,
    family_name_1: p.familyName1,
    family_name_2: p.familyName2 ?? null,
    dob: p.dob ?? null,
    dob_basis: p.dobBasis,
    sex: p.sex,
    nationalities: p.nationalities,
    languages: p.languages,
    phones: s.phones,
    a_number: s.identifiers.aNumber,
    search_name: fold(`${p.givenNames} ${p.familyName1} ${p.familyName2 ?? ''}`),
    match_keys: personKeys(self, p.aliases.map(matchable)),
    created_by: actorId,
    // The request's time, not the database's: the record's own date-of-birth assertion is stamped with it, and an age
    // determination is weighed against it (domain/persons/age.ts).
    created_at: now,
    updated_at: now,
  });
  // The record's own date of birth becomes its first assertion by the persons trigger (migration 0020).
  await addNamesAndIdentifiers(trx, personId, s, reportId);
  return personId;
}

async function addNamesAndIdentifiers(trx: Trx, personId: string, s: CheckedPerson, reportId: string, extraNames: IntakeName[] = []) {
  await intake.insertPersonNames(trx, personId, reportId, [
    ...s.input.aliases.map((a) => ({ ...a, kind: 'alias' as const })),
    ...extraNames.map((a) => ({ ...a, kind: 'spelling' as const })),
  ]);
  for (const id of s.identifiers.others) await intake.insertPersonIdentifier(trx, personId, reportId, id);
}

/**
 * A report about a person we already hold (same A-number): keep what it adds — another spelling, identifiers,
 * phones, the date of birth it gives (a claim of being a child is never lost) — never overwrite.
 */
async function addKnowledge(
  trx: Trx,
  personId: string,
  s: CheckedPerson,
  reportId: string,
  now: Date,
  actorId: string | null,
): Promise<void> {
  const person = await intake.findPerson(trx, personId);
  const sameName =
    fold(`${person.given_names} ${person.family_name_1} ${person.family_name_2 ?? ''}`) ===
    fold(`${s.input.givenNames} ${s.input.familyName1} ${s.input.familyName2 ?? ''}`);
  await addNamesAndIdentifiers(trx, personId, s, reportId, sameName ? [] : [s.input]);
  const keys = personKeys(
    {
      ...matchable({ givenNames: person.given_names, familyName1: person.family_name_1, familyName2: person.family_name_2 ?? undefined }),
      dob: person.dob,
      dobBasis: person.dob_basis,
    },
    [s.input, ...s.input.aliases].map(matchable),
  );
  await intake.addToPersonLists(
    trx,
    personId,
    { matchKeys: keys, phones: s.phones, nationalities: s.input.nationalities, languages: s.input.languages },
    now,
  );
  await addDobAssertion(trx, {
    personId,
    dob: s.input.dob ?? null,
    basis: s.input.dobBasis,
    reportId,
    recordedBy: actorId,
    at: now,
  });
}

/** Possible duplicates of a person just created, for the intake screen to offer a merge. */
async function candidatesFor(trx: Trx, personId: string, s: CheckedPerson): Promise<IntakeCandidate[]> {
  const self: MatchablePerson = { ...matchable(s.input), dob: s.input.dob ?? null, dobBasis: s.input.dobBasis, sex: s.input.sex };
  const keys = personKeys(self, s.input.aliases.map(matchable));
  if (keys.length === 0) return [];
  const rows = await intake.personsSharingKeys(trx, personId, keys);
  return rows
    .map((r) => ({
      id: r.id,
      score: scoreMatch(self, toMatchable(r)),
    }))
    .filter((c) => c.score.verdict !== 'unlikely')
    .sort((a, b) => b.score.weight - a.score.weight)
    .slice(0, 5)
    .map((c) => ({
      personId: c.id,
      verdict: c.score.verdict,
      weight: c.score.weight,
      evidence: c.score.evidence.filter((e) => e.feature !== 'a_number_equal').map((e) => e.explanation),
    }));
}
