import { type Actor, authorize, type PermissionTable } from '../domain/access/access-control.js';
import { centerToday } from '../domain/calendar/calendar-day.js';
import { mayReadUnit } from '../domain/cases/case-workflow.js';
import { AppError } from '../domain/errors/app-error.js';
import type { ActiveProtection } from '../domain/safeguards/protections.js';
import type { PurposeCode } from '../domain/safeguards/purpose.js';
import type { Db } from '../storage/database.js';
import { uacUnitPersons } from '../storage/repositories/age.repository.js';
import { personCluster } from '../storage/repositories/case.repository.js';
import * as persons from '../storage/repositories/person.repository.js';
import { type AgeEvidence, ageEvidenceOf } from './age.service.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { inForceFor, listProtections, loadRules, type ProtectionRow } from './protection.service.js';
import { askPurpose, purposeAudit } from './purpose-of-use.service.js';

/**
 * Reading a person's record. The read is audited in the same transaction as
 * the query that serves it. A child's record — or one whose age we do not
 * know — is shown only with a stated purpose of use, which the audit keeps.
 */

/** The row shapes presenters map (they come from here, not from storage). */
export type { LocationRow, PersonRow } from '../storage/repositories/person.repository.js';

export type PersonView = {
  person: persons.PersonRow;
  locations: persons.LocationRow[];
  minor: boolean | 'unknown';
  /** Every date of birth given for the person (on any merged record), the age determinations, and the verdict. */
  age: AgeEvidence;
  /** Records merged into this one (kept whole; their names count as this person's). */
  mergedRecords: persons.PersonRow[];
  names: persons.PersonNameRow[];
  identifiers: persons.PersonIdentifierRow[];
  merges: persons.PersonMergeRow[];
  /** Cases this person (or a record merged into them) is on, that the viewer may know of; undefined without case:read. */
  cases: { id: string; caseNumber: string; type: string; status: string; role: string }[] | undefined;
  /** Legal protections recorded on this person (and merged records), in force or not, and those in force today with class-wide orders. */
  protections: ProtectionRow[];
  inForce: ActiveProtection[];
};

export async function readPerson(
  deps: { db: Db; permissions: PermissionTable },
  ctx: RequestContext & { actor: Actor },
  id: string,
  stated: { code?: PurposeCode | undefined; text?: string | undefined },
): Promise<PersonView> {
  const result = await deps.db.transaction().execute(async (trx) => {
    const person = await persons.findPerson(trx, id);
    if (!person) {
      await appendAudit(trx, ctx, {
        action: 'person.read',
        outcome: 'error',
        resourceType: 'person',
        resourceId: id,
        details: { reason: 'not_found' },
      });
      return { error: new AppError('not_found', 'There is no such person.') };
    }
    // A UAC child's record is the UAC unit's need-to-know (as their cases are): to anyone else it does not exist.
    if (!mayReadUnit(ctx.actor, 'uac') && (await uacUnitPersons(trx, [id])).has(id)) {
      await appendAudit(trx, ctx, {
        action: 'person.read',
        outcome: 'denied',
        resourceType: 'person',
        resourceId: id,
        details: { rule: 'uac_need_to_know', reason: 'need_to_know', minorRecord: true },
      });
      return { error: new AppError('not_found', 'There is no such person.') };
    }
    // The record and every record merged into it, read once: a child by anyone's word on any of them is a child here too.
    const cluster = await personCluster(trx, id);
    const mergedRecords = cluster.length > 1 ? await persons.otherRecordsOf(trx, cluster, id) : [];
    const today = centerToday(ctx);
    const age = await ageEvidenceOf(trx, cluster, today);
    const minor = age.verdict.minor;
    const asked = await askPurpose(
      trx,
      ctx,
      { action: 'person.read', resourceType: 'person', resourceId: id, aboutChild: minor !== false, what: 'This record' },
      stated,
    );
    if ('error' in asked) return { error: asked.error };
    const purpose = asked.purpose;
    const locations = await persons.listLocations(trx, cluster);
    const names = await persons.listNames(trx, cluster);
    const identifiers = await persons.listIdentifiers(trx, cluster);
    const merges = await persons.listMergesOf(trx, id);
    const cases = authorize(deps.permissions, ctx.actor, 'case:read').allowed
      ? (await persons.casesOfPersons(trx, cluster))
          .filter((c) => mayReadUnit(ctx.actor, c.unit))
          .map((c) => ({ id: c.id, caseNumber: c.case_number, type: c.type, status: c.status, role: c.role }))
      : undefined;
    await appendAudit(trx, ctx, {
      action: 'person.read',
      outcome: 'allowed',
      resourceType: 'person',
      resourceId: id,
      purpose: purposeAudit(purpose).purpose,
      details: { minor, minorRecord: minor !== false, ...purposeAudit(purpose).details },
    });
    const protections = await listProtections(trx, cluster);
    const inForce = inForceFor(person, minor, protections, await loadRules(trx), today);
    return { view: { person, locations, minor, age, mergedRecords, names, identifiers, merges, cases, protections, inForce } };
  });
  if ('error' in result) throw result.error;
  return result.view;
}
