import type { TBestInterest } from '../../contracts/best-interest.js';
import type { BestInterest } from '../../services/best-interest.service.js';

/** What leaves the server of a child's best-interest view (issue #22 item 5). */

type Named = { given_names: string; family_name_1: string; family_name_2: string | null };
const nameOf = (p: Named) => [p.given_names, p.family_name_1, p.family_name_2].filter(Boolean).join(' ');

/** A record just written: its id and when. */
export const presentRecorded = (row: { id: string; recorded_at: Date }) => ({ id: row.id, recordedAt: row.recorded_at.toISOString() });

export function presentBestInterest(v: BestInterest): TBestInterest {
  const arrangement = (a: BestInterest['course']['spans'][number]) => {
    const cg = a.caregiver_relationship_id ? v.related.get(a.caregiver_relationship_id) : undefined;
    return {
      id: a.id,
      type: a.type,
      caregiver: cg ? { relationshipId: cg.id, name: nameOf(cg), type: cg.type, protectedSponsor: cg.protectedSponsor } : null,
      from: a.from,
      until: a.endsOn,
      notes: a.notes,
      recordedBy: a.recorded_by_name,
      recordedAt: a.recorded_at.toISOString(),
    };
  };
  return {
    caseId: v.caseId,
    caseNumber: v.caseNumber,
    child: v.child,
    wishes: v.wishes.map((w) => ({
      id: w.id,
      topic: w.topic,
      wish: w.wish,
      expressedOn: w.expressed_on,
      voice: w.voice,
      interpreter: w.interpreter,
      recordedBy: w.recorded_by_name,
      recordedAt: w.recorded_at.toISOString(),
    })),
    caregivers: v.caregivers.map((r) => ({
      relationshipId: r.id,
      personId: r.person_id,
      name: nameOf(r),
      type: r.type,
      since: r.since,
      until: r.until,
      current: r.current,
      verification: r.verification,
      protectedSponsor: r.protectedSponsor,
    })),
    careArrangement: {
      current: v.course.current ? arrangement(v.course.current) : null,
      history: [...v.course.spans].reverse().map(arrangement),
    },
    risks: {
      recorded: v.risks.map((r) => ({
        id: r.id,
        kind: r.kind,
        level: r.level,
        notedOn: r.noted_on,
        notes: r.notes,
        recordedBy: r.recorded_by_name,
        recordedAt: r.recorded_at.toISOString(),
      })),
      derived: v.derived,
    },
    timeline: v.timeline.map((e) => ({ at: e.at.toISOString(), source: e.source, kind: e.kind, summary: e.summary })),
  };
}
