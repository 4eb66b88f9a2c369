import type { Transaction } from 'kysely';
import { type Actor, staffOnly } from '../domain/access/access-control.js';
import { centerToday } from '../domain/calendar/calendar-day.js';
import { mayReadUnit } from '../domain/cases/case-workflow.js';
import { AppError } from '../domain/errors/app-error.js';
import {
  type CandidateFacts,
  households,
  type Observation,
  type RelationshipSource,
  type RelationshipType,
  suggestLinks,
} from '../domain/persons/relationships.js';
import type { Db } from '../storage/database.js';
import { uacUnitPersons } from '../storage/repositories/age.repository.js';
import { addCaseEvent, caseReports, caseSubjectsWithPersons, personCluster, survivorOf } from '../storage/repositories/case.repository.js';
import { findPerson } from '../storage/repositories/person.repository.js';
import * as rel from '../storage/repositories/relationship.repository.js';
import type { Database } from '../storage/schema.js';
import { ageVerdictsOf } from './age.service.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { withCase } from './case.service.js';
import { askPurpose, purposeAudit, type Stated } from './purpose-of-use.service.js';
import { sponsorsOfCase } from './sponsor-shield.service.js';

/**
 * A child's relationships on a case (issue #22 item 1): the family tree (sponsors, parents, siblings, caregivers,
 * other adults) with where each link came from and whether it is verified, the links matching suggests (same
 * address, same phone, named as sponsor in an intake) for a case worker to confirm or reject — never linked by
 * themselves — and the household at each address over time. Sponsors found here are protected on every
 * disclosing path (services/sponsor-shield.service.ts). Services, hand-offs and the best-interest view (items
 * 3–5) attach to the same case and persons.
 */

export type { RelationshipRow, SuggestionRow } from '../storage/repositories/relationship.repository.js';

type Trx = Transaction<Database>;
type ActorCtx = RequestContext & { actor: Actor };

const toObservation = (o: {
  person_id: string;
  line1: string | null;
  city: string | null;
  state: string | null;
  zip: string | null;
  observed_at: Date;
}): Observation => ({
  personId: o.person_id,
  line1: o.line1,
  city: o.city,
  state: o.state,
  zip: o.zip,
  observedAt: o.observed_at,
});

/** A relationship with the related person's name, as the screen shows it. */
async function withName(trx: Trx, row: rel.RelationshipRow) {
  const [p] = await rel.personsBrief(trx, [row.person_id]);
  return { ...row, given_names: p?.given_names ?? '', family_name_1: p?.family_name_1 ?? '', family_name_2: p?.family_name_2 ?? null };
}

/** The case's children: subjects in the role of child, or whom any date of birth makes a minor. */
async function childrenOf(trx: Trx, ctx: ActorCtx, caseId: string) {
  const subjects = await caseSubjectsWithPersons(trx, caseId);
  const verdicts = await ageVerdictsOf(
    trx,
    subjects.map((s) => s.person_id),
    centerToday(ctx),
  );
  const ids = subjects.filter((s) => s.role === 'child' || verdicts.get(s.person_id)?.minor === true).map((s) => s.person_id);
  return { subjects, verdicts, children: [...new Set(await Promise.all(ids.map((id) => survivorOf(trx, id))))] };
}

/** Finds links worth a look for each child and stores new ones as pending suggestions (a rejected one stays rejected). */
async function refreshSuggestions(trx: Trx, ctx: ActorCtx, caseId: string, children: readonly string[], subjectIds: readonly string[]) {
  const linked = await rel.relationshipsOfCase(trx, caseId);
  const mentions = await rel.sponsorMentionsOfCase(trx, caseId);
  for (const child of children) {
    const cluster = await personCluster(trx, child);
    const [records, observed] = await Promise.all([rel.personsBrief(trx, cluster), rel.observationsOf(trx, cluster)]);
    const phones = [...new Set(records.flatMap((r) => r.phones))];
    const zips = [...new Set(observed.map((o) => o.zip).filter((z): z is string => z !== null))];
    const [atZips, samePhone] = await Promise.all([rel.observationsInZips(trx, zips), rel.personsWithPhones(trx, phones)]);
    const named = new Map<string, string[]>();
    for (const m of mentions) {
      const s = await survivorOf(trx, m.person_id);
      named.set(s, [...(named.get(s) ?? []), m.reference]);
    }
    const ids = new Set<string>([...atZips.map((o) => o.person_id), ...samePhone.map((p) => p.id), ...named.keys()]);
    for (const s of subjectIds) ids.add(await survivorOf(trx, s));
    for (const id of cluster) ids.delete(id);
    // A UAC child is the UAC unit's need-to-know: nobody else is shown one as a suggested link.
    if (!mayReadUnit(ctx.actor, 'uac')) for (const id of await uacUnitPersons(trx, [...ids])) ids.delete(id);
    const candidates: CandidateFacts[] = [];
    for (const id of ids) {
      candidates.push({
        personId: id,
        phones: samePhone.find((p) => p.id === id)?.phones ?? [],
        observations: atZips.filter((o) => o.person_id === id).map(toObservation),
        namedAsSponsorIn: named.get(id) ?? [],
      });
    }
    const already = new Set(linked.filter((l) => l.child_person_id === child).map((l) => l.person_id));
    const found = suggestLinks({ personId: child, phones, observations: observed.map(toObservation) }, candidates, already);
    await rel.insertSuggestions(
      trx,
      found.map((f) => ({
        case_id: caseId,
        child_person_id: child,
        person_id: f.personId,
        reason: f.reason,
        evidence: JSON.stringify(f.evidence),
        created_at: ctx.now,
      })),
    );
  }
}

/**
 * The family section of a case: relationships, suggestions and households. It reveals who a child is with, so a
 * case about a child asks for a purpose of use first (kept in the audit), like the case itself.
 */
export async function readFamily(db: Db, ctx: ActorCtx, caseId: string, stated: Stated) {
  const outcome = await withCase(db, ctx, caseId, 'relationship.list', async (trx, caseRow) => {
    const { subjects, verdicts, children } = await childrenOf(trx, ctx, caseId);
    const asked = await askPurpose(
      trx,
      ctx,
      {
        action: 'relationship.list',
        resourceType: 'case',
        resourceId: caseId,
        aboutChild: caseRow.unit === 'uac' || [...verdicts.values()].some((v) => v.minor !== false),
        what: "This case's family section",
      },
      stated,
    );
    if ('error' in asked) return { error: asked.error };
    await refreshSuggestions(
      trx,
      ctx,
      caseId,
      children,
      subjects.map((s) => s.person_id),
    );
    const relationships = await rel.relationshipsOfCase(trx, caseId);
    const suggestions = await rel.suggestionsOfCase(trx, caseId);
    const sponsors = new Set((await sponsorsOfCase(trx, caseId)).map((s) => s.personId));
    // Households: where the children and the people linked to them were observed, and when.
    const members = [...new Set([...children, ...relationships.map((r) => r.person_id)])];
    const clusters = new Map<string, string>();
    for (const m of members) for (const id of await personCluster(trx, m)) clusters.set(id, m);
    const observed = await rel.observationsOf(trx, [...clusters.keys()]);
    const homes = households(observed.map((o) => ({ ...toObservation(o), personId: clusters.get(o.person_id) ?? o.person_id })));
    const names = new Map(
      (await rel.personsBrief(trx, members)).map((p) => [
        p.id,
        [p.given_names, p.family_name_1, p.family_name_2].filter(Boolean).join(' '),
      ]),
    );
    await appendAudit(trx, ctx, {
      action: 'relationship.list',
      outcome: 'allowed',
      resourceType: 'case',
      resourceId: caseId,
      purpose: purposeAudit(asked.purpose).purpose,
      details: { relationships: relationships.length, suggestions: suggestions.length, ...purposeAudit(asked.purpose).details },
    });
    return {
      value: {
        children: children.map((id) => ({ personId: id, name: names.get(id) ?? '' })),
        relationships,
        suggestions,
        households: homes.map((h) => ({ ...h, members: h.members.map((m) => ({ ...m, name: names.get(m.personId) ?? '' })) })),
        sponsors,
      },
    };
  });
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}

export type AddRelationshipInput = {
  childPersonId: string;
  personId: string;
  type: RelationshipType;
  since?: string | undefined;
  until?: string | undefined;
  source: Exclude<RelationshipSource, 'suggestion'>;
  reportId?: string | undefined;
  sourceNote?: string | undefined;
  verified?: boolean | undefined;
};

async function requireChild(trx: Trx, ctx: ActorCtx, caseId: string, childPersonId: string) {
  const { children } = await childrenOf(trx, ctx, caseId);
  const child = await survivorOf(trx, childPersonId);
  if (!children.includes(child))
    throw new AppError('validation_failed', 'Relationships are recorded for a child on this case.', {
      issues: [{ path: 'body.childPersonId', code: 'not_a_child_of_case', message: 'name a child who is a subject of this case' }],
    });
  return child;
}

/** Records a relationship a case worker knows of, with where it came from. */
export async function addRelationship(db: Db, ctx: ActorCtx, caseId: string, input: AddRelationshipInput) {
  const userId = staffOnly(ctx.actor, 'Only staff record relationships.').userId;
  return withCase(
    db,
    ctx,
    caseId,
    'relationship.create',
    async (trx) => {
      const child = await requireChild(trx, ctx, caseId, input.childPersonId);
      const person = await findPerson(trx, input.personId);
      if (!person)
        throw new AppError('unprocessable', 'There is no such person.', {
          issues: [{ path: 'body.personId', code: 'unknown_person', message: 'no such person' }],
        });
      const other = await survivorOf(trx, person.id);
      if (!mayReadUnit(ctx.actor, 'uac') && (await uacUnitPersons(trx, [person.id, other])).size > 0)
        throw new AppError('unprocessable', 'There is no such person.', {
          issues: [{ path: 'body.personId', code: 'unknown_person', message: 'no such person' }],
        });
      if (other === child)
        throw new AppError('validation_failed', 'A child is not their own relative.', {
          issues: [{ path: 'body.personId', code: 'same_person', message: 'name another person' }],
        });
      if (input.since && input.until && input.since > input.until)
        throw new AppError('validation_failed', 'The relationship ends before it begins.', {
          issues: [{ path: 'body.until', code: 'before_since', message: 'on or after since' }],
        });
      if (input.source === 'report') {
        const reports = await caseReports(trx, caseId);
        if (!input.reportId || !reports.some((r) => r.id === input.reportId))
          throw new AppError('validation_failed', 'A relationship from a report names one of the case’s reports.', {
            issues: [{ path: 'body.reportId', code: 'not_a_case_report', message: 'name a report on this case' }],
          });
      }
      const row = await rel.insertRelationship(trx, {
        case_id: caseId,
        child_person_id: child,
        person_id: other,
        type: input.type,
        since: input.since ?? null,
        until: input.until ?? null,
        source: input.source,
        report_id: input.source === 'report' ? (input.reportId ?? null) : null,
        source_note: input.sourceNote ?? null,
        verification: input.verified ? 'verified' : 'unverified',
        verified_by: input.verified ? userId : null,
        verified_at: input.verified ? ctx.now : null,
        created_by: userId,
        created_at: ctx.now,
      });
      await addCaseEvent(trx, {
        caseId,
        at: ctx.now,
        actorId: userId,
        kind: 'relationship_added',
        details: { relationshipId: row.id, type: row.type },
      });
      await appendAudit(trx, ctx, {
        action: 'relationship.create',
        outcome: 'allowed',
        resourceType: 'relationship',
        resourceId: row.id,
        details: { caseId, type: row.type, source: row.source },
      });
      return withName(trx, row);
    },
    true,
  );
}

/** Verifies, disputes or ends (until) a relationship; the rest of it is provenance and does not change. */
export async function updateRelationship(
  db: Db,
  ctx: ActorCtx,
  caseId: string,
  id: string,
  input: { verification?: 'verified' | 'disputed' | 'unverified' | undefined; until?: string | undefined },
) {
  const userId = staffOnly(ctx.actor, 'Only staff record relationships.').userId;
  return withCase(
    db,
    ctx,
    caseId,
    'relationship.update',
    async (trx) => {
      const row = await rel.findRelationship(trx, id);
      if (!row || row.case_id !== caseId) throw new AppError('not_found', 'There is no such relationship on this case.');
      if (input.until && row.since && input.until < row.since)
        throw new AppError('validation_failed', 'The relationship ends before it begins.', {
          issues: [{ path: 'body.until', code: 'before_since', message: 'on or after since' }],
        });
      const verifying = input.verification !== undefined && input.verification !== 'unverified';
      const updated = await rel.updateRelationship(trx, id, {
        ...(input.until ? { until: input.until } : {}),
        ...(input.verification
          ? { verification: input.verification, verified_by: verifying ? userId : null, verified_at: verifying ? ctx.now : null }
          : {}),
      });
      await addCaseEvent(trx, {
        caseId,
        at: ctx.now,
        actorId: userId,
        kind: 'relationship_updated',
        details: {
          relationshipId: id,
          ...(input.verification ? { verification: input.verification } : {}),
          ...(input.until ? { until: input.until } : {}),
        },
      });
      await appendAudit(trx, ctx, {
        action: 'relationship.update',
        outcome: 'allowed',
        resourceType: 'relationship',
        resourceId: id,
        details: { caseId, ...(input.verification ? { verification: input.verification } : {}), ended: input.until !== undefined },
      });
      return withName(trx, updated);
    },
    true,
  );
}

/** A case worker confirms a suggested link (a relationship is made, its source the suggestion) or rejects it; audited. */
export async function decideSuggestion(
  db: Db,
  ctx: ActorCtx,
  caseId: string,
  suggestionId: string,
  input: { decision: 'confirm' | 'reject'; type?: RelationshipType | undefined; note?: string | undefined },
) {
  const userId = staffOnly(ctx.actor, 'Only staff decide suggested links.').userId;
  return withCase(
    db,
    ctx,
    caseId,
    `relationship.suggestion.${input.decision}`,
    async (trx) => {
      const s = await rel.findSuggestion(trx, suggestionId, true);
      if (!s || s.case_id !== caseId) throw new AppError('not_found', 'There is no such suggestion on this case.');
      if (s.status !== 'pending') throw new AppError('conflict', `This suggestion is already ${s.status}.`);
      let relationshipId: string | null = null;
      if (input.decision === 'confirm') {
        const type = input.type ?? (s.reason === 'named_as_sponsor' ? 'sponsor' : undefined);
        if (!type)
          throw new AppError('validation_failed', 'Say what the person is to the child.', {
            issues: [{ path: 'body.type', code: 'required', message: 'the relationship type' }],
          });
        const created = await rel.insertRelationship(trx, {
          case_id: caseId,
          child_person_id: s.child_person_id,
          person_id: s.person_id,
          type,
          since: null,
          until: null,
          source: 'suggestion',
          report_id: null,
          source_note: `suggested: ${s.reason.replace(/_/g, ' ')}${input.note ? ` — ${input.note}` : ''}`,
          created_by: userId,
          created_at: ctx.now,
        });
        relationshipId = created.id;
      }
      const updated = await rel.updateSuggestion(trx, suggestionId, {
        status: input.decision === 'confirm' ? 'confirmed' : 'rejected',
        decided_by: userId,
        decided_at: ctx.now,
        decision_note: input.note ?? null,
        relationship_id: relationshipId,
      });
      await addCaseEvent(trx, {
        caseId,
        at: ctx.now,
        actorId: userId,
        kind: input.decision === 'confirm' ? 'relationship_suggestion_confirmed' : 'relationship_suggestion_rejected',
        details: { suggestionId, reason: s.reason, ...(relationshipId ? { relationshipId } : {}) },
      });
      await appendAudit(trx, ctx, {
        action: `relationship.suggestion.${input.decision}`,
        outcome: 'allowed',
        resourceType: 'relationship_suggestion',
        resourceId: suggestionId,
        details: { caseId, reason: s.reason, ...(relationshipId ? { relationshipId } : {}) },
      });
      return updated;
    },
    true,
  );
}
