import { createHash, randomInt } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { z } from 'zod';
import type { IntakeBody, ZIntakeResult } from '../contracts/cases.js';
import type { Actor } from '../domain/access/access-control.js';
import { type CalendarDay, centerToday } from '../domain/calendar/calendar-day.js';
import { mayReadUnit, UNIT_OF } from '../domain/cases/case-workflow.js';
import { AppError, type FieldIssue } from '../domain/errors/app-error.js';
import { resolveAor } from '../domain/geo/area-of-responsibility.js';
import type { Geocode, Geocoder } from '../domain/geo/geocoder.js';
import { personKeys } from '../domain/matching/blocking.js';
import { fold } from '../domain/matching/names.js';
import { type MatchablePerson, scoreMatch } from '../domain/matching/score.js';
import { type CheckedIdentifiers, checkDob, checkIdentifiers, normalizePhone } from '../domain/persons/person-rules.js';
import type { Db } from '../storage/database.js';
import { addDobAssertion } from '../storage/repositories/age.repository.js';
import { addCaseEvent, insertObservation, nextReference, survivorOf } from '../storage/repositories/case.repository.js';
import type { Database } from '../storage/schema.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { toMatchable } from './person-search.service.js';
import { loadAorTable } from './reference-data.service.js';

/**
 * Saving an intake: the report, its subjects (linked to existing people or
 * created), their locations (geocoded, with the report as their source) and
 * the case it opens or adds to — in one transaction, so a failure anywhere
 * leaves nothing behind. Every rule is checked before anything is written and
 * every broken rule is reported at once.
 */

type Trx = Transaction<Database>;
type PersonInput = Extract<IntakeBody['subjects'][number], { person: unknown }>['person'];
export type IntakeResult = z.infer<typeof ZIntakeResult>;

export type IntakeDeps = { db: Db; geocoder: Geocoder };

type CheckedPerson = { input: PersonInput; identifiers: CheckedIdentifiers; phones: string[] };

function checkPerson(input: PersonInput, today: CalendarDay, path: string, issues: FieldIssue[]): CheckedPerson {
  issues.push(...checkDob(input.dob, input.dobBasis, today, path));
  const checked = checkIdentifiers({ dobBasis: input.dobBasis, ...input.identifiers }, `${path}.identifiers`);
  issues.push(...checked.issues);
  const phones: string[] = [];
  input.phones.forEach((phone, i) => {
    const normal = normalizePhone(phone);
    if (normal) phones.push(normal);
    else issues.push({ path: `${path}.phones.${i}`, code: 'invalid_phone', message: `"${phone}" is not a phone number` });
  });
  return { input, identifiers: checked.identifiers, phones };
}

/** A callback code for an anonymous caller: 10 digits, shown once; we keep only its hash. */
export const hashCallbackCode = (code: string): string => createHash('sha256').update(code.replace(/\D/g, '')).digest('hex');
const newCallbackCode = (): string => {
  const digits = Array.from({ length: 10 }, () => randomInt(10)).join('');
  return `${digits.slice(0, 3)}-${digits.slice(3, 6)}-${digits.slice(6)}`;
};

export async function saveIntake(
  deps: IntakeDeps,
  ctx: RequestContext & { actor: Actor },
  body: IntakeBody,
  options: { submissionId?: string } = {},
): Promise<IntakeResult> {
  const now = ctx.now;
  const issues: FieldIssue[] = [];
  const receivedAt = body.receivedAt ? new Date(body.receivedAt) : now;
  if (receivedAt.getTime() > now.getTime() + 60_000)
    issues.push({ path: 'body.receivedAt', code: 'in_future', message: 'the report cannot have been received in the future' });
  const reporterPhone = body.reporter.phone ? normalizePhone(body.reporter.phone) : undefined;
  if (body.reporter.phone && !reporterPhone)
    issues.push({ path: 'body.reporter.phone', code: 'invalid_phone', message: `"${body.reporter.phone}" is not a phone number` });

  const subjects = body.subjects.map((s, i) =>
    'person' in s ? checkPerson(s.person, centerToday(ctx), `body.subjects.${i}.person`, issues) : s,
  );
  const geocodes: Geocode[] = [];
  for (const [i, location] of body.locations.entries()) {
    const result = await deps.geocoder.geocode(location.address, `body.locations.${i}.address`);
    if (result.ok) geocodes.push(result.geocode);
    else issues.push(...result.issues);
    if (location.observedAt && new Date(location.observedAt).getTime() > now.getTime() + 60_000)
      issues.push({ path: `body.locations.${i}.observedAt`, code: 'in_future', message: 'an observation cannot be in the future' });
  }
  const fail = (more: FieldIssue[] = []) => {
    const all = [...issues, ...more];
    return new AppError(
      'validation_failed',
      `The intake was not saved: ${all.length === 1 ? '1 field is' : `${all.length} fields are`} invalid.`,
      {
        issues: all,
      },
    );
  };
  if (issues.length > 0) throw fail();

  const actorId = ctx.actor.kind === 'user' ? ctx.actor.userId : null;
  const callbackCode = body.source === 'anonymous' ? newCallbackCode() : undefined;

  return deps.db.transaction().execute(async (trx) => {
    // Rules that need the database: the agency, the people and the case named must exist.
    const late: FieldIssue[] = [];
    if (body.reporter.agencyOri) {
      const agency = await trx.selectFrom('agencies').select('ori').where('ori', '=', body.reporter.agencyOri).executeTakeFirst();
      if (!agency)
        late.push({
          path: 'body.reporter.agencyOri',
          code: 'unknown_agency',
          message: `${body.reporter.agencyOri} is not a registered agency`,
        });
    }
    const existingIds = new Map<number, string>();
    for (const [i, s] of body.subjects.entries()) {
      if (!('personId' in s)) continue;
      const found = await trx.selectFrom('persons').select('id').where('id', '=', s.personId).executeTakeFirst();
      if (found) existingIds.set(i, await survivorOf(trx, s.personId));
      else late.push({ path: `body.subjects.${i}.personId`, code: 'unknown_person', message: 'there is no such person' });
    }
    let existingCase: { id: string; case_number: string; aor_office_code: string | null } | undefined;
    if ('caseId' in body.case) {
      const found = await trx
        .selectFrom('cases')
        .select(['id', 'case_number', 'aor_office_code', 'unit'])
        .where('id', '=', body.case.caseId)
        .forUpdate()
        .executeTakeFirst();
      // A case the caller may not know of (a UAC case, outside the unit) is answered exactly like a missing one.
      existingCase = found && mayReadUnit(ctx.actor, found.unit) ? found : undefined;
      if (!existingCase) late.push({ path: 'body.case.caseId', code: 'unknown_case', message: 'there is no such case' });
    }
    if (late.length > 0) throw fail(late);

    const reference = await nextReference(trx, 'R', ctx);
    const report = await trx
      .insertInto('reports')
      .values({
        reference,
        source: body.source,
        reporter_name: body.reporter.name ?? null,
        reporter_phone: reporterPhone ?? null,
        reporter_email: body.reporter.email ?? null,
        reporter_agency_ori: body.reporter.agencyOri ?? null,
        reporter_badge: body.reporter.badge ?? null,
        callback_code_hash: callbackCode ? hashCallbackCode(callbackCode) : null,
        narrative: body.narrative,
        language: body.language,
        source_reliability: body.grading.sourceReliability,
        information_credibility: body.grading.informationCredibility,
        call_id: body.callId ?? null,
        submission_id: options.submissionId ?? null,
        received_at: receivedAt,
        created_by: actorId,
      })
      .returning('id')
      .executeTakeFirstOrThrow();

    const subjectResults: IntakeResult['subjects'] = [];
    const personIds: string[] = [];
    for (const [i, s] of subjects.entries()) {
      const role = body.subjects[i]?.role ?? 'subject';
      let personId: string;
      let outcome: IntakeResult['subjects'][number];
      if ('personId' in s) {
        personId = existingIds.get(i) ?? s.personId;
        outcome = { personId, created: false, linkedBy: 'person_id', candidates: [] };
      } else {
        const linked = s.identifiers.aNumber
          ? await trx.selectFrom('persons').select('id').where('a_number', '=', s.identifiers.aNumber).executeTakeFirst()
          : undefined;
        if (linked) {
          personId = await survivorOf(trx, linked.id);
          await addKnowledge(trx, personId, s, report.id, now, actorId);
          outcome = { personId, created: false, linkedBy: 'a_number', candidates: [] };
        } else {
          personId = await createPerson(trx, s, report.id, actorId, now);
          outcome = { personId, created: true, linkedBy: 'new', candidates: await candidatesFor(trx, personId, s) };
        }
      }
      personIds.push(personId);
      subjectResults.push(outcome);
      await trx
        .insertInto('report_subjects')
        .values({ report_id: report.id, person_id: personId, role })
        .onConflict((oc) => oc.doNothing())
        .execute();
    }

    const aorTable = await loadAorTable(trx);
    const locationResults: IntakeResult['locations'] = [];
    for (const [i, location] of body.locations.entries()) {
      const geo = geocodes[i];
      const personId = personIds[location.subject];
      if (!geo || !personId) throw new Error('intake: location without its geocode or subject');
      const aor = resolveAor(aorTable, geo.state, geo.county);
      const id = await insertObservation(trx, {
        personId,
        geo,
        aorOfficeCode: aor?.officeCode ?? null,
        source: `${body.source} report ${reference}`,
        reportId: report.id,
        confidence: location.confidence,
        observedAt: location.observedAt ? new Date(location.observedAt) : receivedAt,
        reportedAt: receivedAt,
      });
      locationResults.push({ id, precision: geo.precision, aorOfficeCode: aor?.officeCode ?? null, warnings: geo.warnings });
    }

    const firstAor = locationResults.find((l) => l.aorOfficeCode)?.aorOfficeCode ?? null;
    let caseId: string;
    let caseNumber: string;
    const opened = !existingCase;
    if (existingCase) {
      caseId = existingCase.id;
      caseNumber = existingCase.case_number;
      await trx
        .updateTable('cases')
        .set({
          updated_at: now,
          version: sql`version + 1`,
          ...(existingCase.aor_office_code === null && firstAor ? { aor_office_code: firstAor, aor_basis: 'location' as const } : {}),
        })
        .where('id', '=', caseId)
        .execute();
    } else if ('open' in body.case) {
      caseNumber = await nextReference(trx, 'C', ctx);
      const created = await trx
        .insertInto('cases')
        .values({
          case_number: caseNumber,
          type: body.case.open.type,
          status: 'new',
          priority: body.case.open.priority,
          unit: UNIT_OF[body.case.open.type],
          aor_office_code: firstAor,
          aor_basis: firstAor ? 'location' : null,
          summary: body.case.open.summary,
          created_by: actorId,
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      caseId = created.id;
      await addCaseEvent(trx, {
        caseId,
        at: now,
        actorId,
        kind: 'opened',
        details: { type: body.case.open.type, priority: body.case.open.priority, aorOfficeCode: firstAor },
      });
    } else throw new Error('intake: neither an existing case nor a new one');

    // A child on a UAC case came unaccompanied: class-wide orders test this.
    const caseUnit = existingCase
      ? (await trx.selectFrom('cases').select('unit').where('id', '=', caseId).executeTakeFirstOrThrow()).unit
      : 'open' in body.case
        ? UNIT_OF[body.case.open.type]
        : '';
    const children = personIds.filter((_id, i) => body.subjects[i]?.role === 'child');
    if (caseUnit === 'uac' && children.length > 0) {
      await trx.updateTable('persons').set({ unaccompanied: true, updated_at: now }).where('id', 'in', children).execute();
    }
    await trx.insertInto('case_reports').values({ case_id: caseId, report_id: report.id }).execute();
    await addCaseEvent(trx, {
      caseId,
      at: now,
      actorId,
      kind: 'report_added',
      details: { reportId: report.id, reference, source: body.source },
    });
    for (const [i, personId] of personIds.entries()) {
      const role = body.subjects[i]?.role ?? 'subject';
      const added = await trx
        .insertInto('case_subjects')
        .values({ case_id: caseId, person_id: personId, role })
        .onConflict((oc) => oc.doNothing())
        .returning('person_id')
        .executeTakeFirst();
      if (added) await addCaseEvent(trx, { caseId, at: now, actorId, kind: 'subject_added', details: { personId, role } });
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
      resourceId: report.id,
      details: {
        caseId,
        caseOpened: opened,
        subjects: personIds.length,
        personsCreated: subjectResults.filter((s) => s.created).length,
        locations: locationResults.length,
      },
    });
    return {
      report: { id: report.id, reference, ...(callbackCode ? { callbackCode } : {}) },
      case: { id: caseId, caseNumber, opened },
      subjects: subjectResults,
      locations: locationResults,
    };
  });
}

const matchable = (p: { givenNames: string; familyName1: string; familyName2?: string | undefined }): MatchablePerson => ({
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
  const row = await trx
    .insertInto('persons')
    .values({
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
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  // The record's own date of birth becomes its first assertion by the persons trigger (migration 0020).
  await addNamesAndIdentifiers(trx, row.id, s, reportId);
  return row.id;
}

async function addNamesAndIdentifiers(
  trx: Trx,
  personId: string,
  s: CheckedPerson,
  reportId: string,
  extraNames: PersonInput['aliases'] = [],
) {
  const names = [
    ...s.input.aliases.map((a) => ({ ...a, kind: 'alias' as const })),
    ...extraNames.map((a) => ({ ...a, kind: 'spelling' as const })),
  ];
  if (names.length > 0) {
    await trx
      .insertInto('person_names')
      .values(
        names.map((a) => ({
          person_id: personId,
          kind: a.kind,
          given_names: a.givenNames,
          family_name_1: a.familyName1,
          family_name_2: a.familyName2 ?? null,
          report_id: reportId,
        })),
      )
      .execute();
  }
  for (const id of s.identifiers.others) {
    await trx
      .insertInto('person_identifiers')
      .values({ person_id: personId, kind: id.kind, value: id.value, issuer: id.issuer, report_id: reportId })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
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
  const person = await trx.selectFrom('persons').selectAll().where('id', '=', personId).executeTakeFirstOrThrow();
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
  await trx
    .updateTable('persons')
    .set({
      match_keys: sql<string[]>`ARRAY(SELECT DISTINCT unnest(match_keys || ${keys}::text[]))`,
      phones: sql<string[]>`ARRAY(SELECT DISTINCT unnest(phones || ${s.phones}::text[]))`,
      nationalities: sql<string[]>`ARRAY(SELECT DISTINCT unnest(nationalities || ${s.input.nationalities}::text[]))`,
      languages: sql<string[]>`ARRAY(SELECT DISTINCT unnest(languages || ${s.input.languages}::text[]))`,
      updated_at: now,
    })
    .where('id', '=', personId)
    .execute();
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
async function candidatesFor(trx: Trx, personId: string, s: CheckedPerson): Promise<IntakeResult['subjects'][number]['candidates']> {
  const self: MatchablePerson = { ...matchable(s.input), dob: s.input.dob ?? null, dobBasis: s.input.dobBasis, sex: s.input.sex };
  const keys = personKeys(self, s.input.aliases.map(matchable));
  if (keys.length === 0) return [];
  const rows = await trx
    .selectFrom('persons')
    .selectAll()
    .where('id', '!=', personId)
    .where('merged_into', 'is', null)
    .where(sql<boolean>`match_keys && ${keys}::text[]`)
    .limit(200)
    .execute();
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
