import type { CalendarDay } from '../calendar/calendar-day.js';
import { WORK_PRIORITY } from '../routing/work-priority.js';
/**
 * What a partner agency may submit, by the model of its 287(g) agreement, and
 * how each kind of submission becomes an intake: case type, priority, the role
 * of its subject. Concerns about a child are accepted from every agreement
 * model: nobody is turned away for reporting a child at risk.
 */

export const SUBMISSION_TYPES = ['location_report', 'encounter', 'uac_concern', 'hit_confirmation_request'] as const;
export type SubmissionType = (typeof SUBMISSION_TYPES)[number];

export const PERMITTED: Readonly<Record<string, readonly SubmissionType[]>> = {
  task_force: SUBMISSION_TYPES,
  jail_enforcement: ['encounter', 'hit_confirmation_request', 'uac_concern'],
  warrant_service_officer: ['encounter', 'hit_confirmation_request', 'uac_concern'],
};

export type AgencyAgreement = { status: string; model: string; effective: string; end: string | null };

export type AgreementCheck = { ok: true } | { ok: false; code: 'agreement_inactive' | 'out_of_scope'; message: string };

/** An agency row's agreement, as these rules read it. */
export const agreementOf = (a: {
  agreement_status: string;
  agreement_model: string;
  agreement_effective: string;
  agreement_end: string | null;
}): AgencyAgreement => ({ status: a.agreement_status, model: a.agreement_model, effective: a.agreement_effective, end: a.agreement_end });

/** Whether the agreement is in force on that day of the center's calendar (through its whole end day), whatever is being sent or asked. */
export function agreementInForce(agreement: AgencyAgreement, today: CalendarDay): AgreementCheck {
  if (agreement.status !== 'active' || agreement.effective > today || (agreement.end !== null && agreement.end < today)) {
    return { ok: false, code: 'agreement_inactive', message: `the agency's 287(g) agreement is not in force (${agreement.status})` };
  }
  return { ok: true };
}

export function checkAgreement(agreement: AgencyAgreement, type: SubmissionType, today: CalendarDay): AgreementCheck {
  const inForce = agreementInForce(agreement, today);
  if (!inForce.ok) return inForce;
  if (!(PERMITTED[agreement.model] ?? []).includes(type)) {
    return {
      ok: false,
      code: 'out_of_scope',
      message: `a ${agreement.model.replace(/_/g, ' ')} agreement does not cover ${type.replace(/_/g, ' ')} submissions`,
    };
  }
  return { ok: true };
}

export const INTAKE_OF: Readonly<
  Record<
    SubmissionType,
    {
      caseType: 'enforcement_lead' | 'partner_referral' | 'uac_location' | 'hit_confirmation';
      priority: 'normal' | 'high' | 'urgent';
      role: 'subject' | 'child';
      taskPriority: number;
    }
  >
> = {
  location_report: { caseType: 'enforcement_lead', priority: 'normal', role: 'subject', taskPriority: WORK_PRIORITY.partnerLocationReport },
  encounter: { caseType: 'partner_referral', priority: 'normal', role: 'subject', taskPriority: WORK_PRIORITY.partnerEncounter },
  uac_concern: { caseType: 'uac_location', priority: 'high', role: 'child', taskPriority: WORK_PRIORITY.partnerUacConcern },
  hit_confirmation_request: {
    caseType: 'hit_confirmation',
    priority: 'urgent',
    role: 'subject',
    taskPriority: WORK_PRIORITY.hitConfirmation,
  },
};
