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

export function checkAgreement(agreement: AgencyAgreement, type: SubmissionType, on: Date): AgreementCheck {
  const today = on.toISOString().slice(0, 10);
  if (agreement.status !== 'active' || agreement.effective > today || (agreement.end !== null && agreement.end < today)) {
    return { ok: false, code: 'agreement_inactive', message: `the agency's 287(g) agreement is not in force (${agreement.status})` };
  }
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
  location_report: { caseType: 'enforcement_lead', priority: 'normal', role: 'subject', taskPriority: 0 },
  encounter: { caseType: 'partner_referral', priority: 'normal', role: 'subject', taskPriority: 10 },
  uac_concern: { caseType: 'uac_location', priority: 'high', role: 'child', taskPriority: 30 },
  hit_confirmation_request: { caseType: 'hit_confirmation', priority: 'urgent', role: 'subject', taskPriority: 50 },
};
