import type { z } from 'zod';
import type { ZCaseSummary, ZCaseView, ZReferral, ZReportView } from '../../contracts/cases.js';
import { type Actor, authorize, type PermissionTable } from '../../domain/access/access-control.js';
import type { CaseDetail, CaseRow } from '../../services/case.service.js';
import type { ReferralWithCase } from '../../services/referral.service.js';
import { presentLocation } from './person.presenter.js';

export const presentCaseSummary = (row: CaseRow): z.infer<typeof ZCaseSummary> => ({
  id: row.id,
  caseNumber: row.case_number,
  type: row.type,
  status: row.status,
  statusReason: row.status_reason,
  priority: row.priority,
  unit: row.unit,
  aorOfficeCode: row.aor_office_code,
  summary: row.summary,
  assigneeId: row.assignee_id,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
  version: row.version,
});

/** Reporter identity only for viewers with reporter:identity (need-to-know); everyone else sees what was said, not who said it. */
export function presentCase(detail: CaseDetail, viewer: Actor, permissions: PermissionTable): z.infer<typeof ZCaseView> {
  const showReporter = authorize(permissions, viewer, 'reporter:identity').allowed;
  return {
    ...presentCaseSummary(detail.row),
    subjects: detail.subjects.map((s) => ({
      personId: s.person_id,
      role: s.role,
      givenNames: s.given_names,
      familyName1: s.family_name_1,
      familyName2: s.family_name_2,
      dob: s.dob,
      isMinor: detail.ages.get(s.person_id)?.minor ?? 'unknown',
    })),
    reports: detail.reports.map(
      (r): z.infer<typeof ZReportView> => ({
        id: r.id,
        reference: r.reference,
        source: r.source,
        grading: { sourceReliability: r.source_reliability, informationCredibility: r.information_credibility },
        narrative: r.narrative,
        language: r.language,
        receivedAt: r.received_at.toISOString(),
        callId: r.call_id,
        ...(showReporter
          ? {
              reporter: {
                name: r.reporter_name,
                phone: r.reporter_phone,
                email: r.reporter_email,
                agencyOri: r.reporter_agency_ori,
                badge: r.reporter_badge,
              },
            }
          : {}),
      }),
    ),
    locations: detail.locations.map(presentLocation),
    referrals: detail.referrals.map((r) => ({
      id: r.id,
      reference: r.reference,
      status: r.status,
      fieldOfficeCode: r.field_office_code,
      purpose: r.purpose,
    })),
    attachments: detail.attachments.map((a) => ({
      id: a.id,
      filename: a.filename,
      mediaType: a.media_type,
      sizeBytes: a.size_bytes,
      sha256: a.sha256,
      scanStatus: a.scan_status,
    })),
    timeline: detail.timeline.map((e) => ({ at: e.at.toISOString(), kind: e.kind, actorId: e.actor_id, details: e.details })),
    recordings: detail.audio.recordings.map((r) => ({
      callId: r.call_id,
      line: r.line,
      direction: r.direction,
      durationMs: r.duration_ms,
      recordedAt: r.created_at.toISOString(),
    })),
    voicemails: detail.audio.voicemails.map((v) => ({
      id: v.id,
      line: v.line,
      language: v.language,
      durationMs: v.duration_ms,
      leftAt: v.created_at.toISOString(),
    })),
  };
}

export function presentReferral({ referral: r, caseNumber, timeline }: ReferralWithCase): z.infer<typeof ZReferral> {
  return {
    id: r.id,
    reference: r.reference,
    caseId: r.case_id,
    caseNumber,
    purpose: r.purpose,
    fieldOfficeCode: r.field_office_code,
    officeBasis: r.office_basis,
    officeOverrideReason: r.office_override_reason,
    status: r.status,
    notes: r.notes,
    gate: (r.gate ?? null) as z.infer<typeof ZReferral>['gate'],
    outcome: r.outcome,
    outcomeNotes: r.outcome_notes,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    sentAt: r.sent_at?.toISOString() ?? null,
    version: r.version,
    ...(timeline
      ? {
          timeline: timeline.map((e) => ({
            at: e.at.toISOString(),
            kind: e.kind,
            actorId: e.actor_id,
            from: e.from_status,
            to: e.to_status,
            details: e.details,
          })),
        }
      : {}),
  };
}
