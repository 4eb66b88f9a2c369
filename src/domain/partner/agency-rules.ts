import { AGENCY_TYPES, AGREEMENT_MODELS, AGREEMENT_STATUSES } from '../../contracts/vocabulary.js';
import type { FieldIssue } from '../errors/app-error.js';
import { US_STATES } from '../geo/us-states.js';

/**
 * An agency's record as the registry accepts it: an ORI of nine characters
 * whose first two are the state's postal code, a known type and 287(g) model,
 * agreement dates in order. Every broken rule is reported, with its field.
 */

export { AGENCY_TYPES, AGREEMENT_MODELS, AGREEMENT_STATUSES };

export type AgencyInput = {
  ori: string;
  name: string;
  type: string;
  state?: string | undefined;
  county?: string | undefined;
  agreementModel: string;
  agreementStatus: string;
  agreementEffective: string;
  agreementEnd?: string | undefined;
  contacts?: { name: string; email?: string | undefined; phone?: string | undefined }[] | undefined;
};

export type CheckedAgency = {
  ori: string;
  name: string;
  type: (typeof AGENCY_TYPES)[number];
  state: string;
  county: string | null;
  agreement_model: (typeof AGREEMENT_MODELS)[number];
  agreement_status: (typeof AGREEMENT_STATUSES)[number];
  agreement_effective: string;
  agreement_end: string | null;
  contacts: { name: string; email?: string | undefined; phone?: string | undefined }[];
};

const isDate = (v: string) =>
  /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v);

export function checkAgency(input: AgencyInput, path: string): { agency: CheckedAgency } | { issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const ori = input.ori.trim().toUpperCase();
  if (!/^[A-Z]{2}[A-Z0-9]{7}$/.test(ori))
    issues.push({ path: `${path}.ori`, code: 'invalid_ori', message: 'an ORI is 9 letters and digits, starting with the state code' });
  else if (!(ori.slice(0, 2) in US_STATES))
    issues.push({ path: `${path}.ori`, code: 'invalid_ori', message: `${ori.slice(0, 2)} is not a state code` });
  const state = (input.state?.trim().toUpperCase() || ori.slice(0, 2)) as string;
  if (input.state && state !== ori.slice(0, 2))
    issues.push({ path: `${path}.state`, code: 'state_mismatch', message: `the ORI is from ${ori.slice(0, 2)}, not ${state}` });
  if (!input.name.trim()) issues.push({ path: `${path}.name`, code: 'required', message: 'the agency needs a name' });
  if (!(AGENCY_TYPES as readonly string[]).includes(input.type))
    issues.push({ path: `${path}.type`, code: 'invalid_type', message: `one of ${AGENCY_TYPES.join(', ')}` });
  if (!(AGREEMENT_MODELS as readonly string[]).includes(input.agreementModel)) {
    issues.push({ path: `${path}.agreementModel`, code: 'invalid_model', message: `one of ${AGREEMENT_MODELS.join(', ')}` });
  }
  if (!(AGREEMENT_STATUSES as readonly string[]).includes(input.agreementStatus)) {
    issues.push({ path: `${path}.agreementStatus`, code: 'invalid_status', message: `one of ${AGREEMENT_STATUSES.join(', ')}` });
  }
  if (!isDate(input.agreementEffective))
    issues.push({ path: `${path}.agreementEffective`, code: 'invalid_date', message: 'a date, YYYY-MM-DD' });
  if (input.agreementEnd && !isDate(input.agreementEnd))
    issues.push({ path: `${path}.agreementEnd`, code: 'invalid_date', message: 'a date, YYYY-MM-DD' });
  else if (input.agreementEnd && input.agreementEnd < input.agreementEffective) {
    issues.push({ path: `${path}.agreementEnd`, code: 'before_start', message: 'the agreement cannot end before it takes effect' });
  }
  if (issues.length > 0) return { issues };
  return {
    agency: {
      ori,
      name: input.name.trim(),
      type: input.type as CheckedAgency['type'],
      state,
      county: input.county?.trim() || null,
      agreement_model: input.agreementModel as CheckedAgency['agreement_model'],
      agreement_status: input.agreementStatus as CheckedAgency['agreement_status'],
      agreement_effective: input.agreementEffective,
      agreement_end: input.agreementEnd || null,
      contacts: input.contacts ?? [],
    },
  };
}

export const CSV_COLUMNS = [
  'ori',
  'name',
  'type',
  'county',
  'agreement_model',
  'agreement_status',
  'agreement_effective',
  'agreement_end',
  'contact_name',
  'contact_email',
  'contact_phone',
] as const;
