import type { CalendarDay } from '../calendar/calendar-day.js';
import type { CaseType, Priority } from '../cases/case-workflow.js';
import { AppError, type FieldIssue } from '../errors/app-error.js';
import type { AddressInput } from '../geo/geocoder.js';
import type { MatchVerdict } from '../matching/score.js';
import type { DobBasis } from '../persons/age.js';
import { type CheckedIdentifiers, checkDob, checkIdentifiers, normalizePhone } from '../persons/person-rules.js';

/**
 * Intake as a command: what the desktop, a partner submission (one at a time or from a CSV batch) and the demo
 * seed all ask for — a report, its subjects, their locations and the case it opens or adds to — in the domain's
 * terms, not any caller's wire format. A broken rule is reported at the path of the field in the caller's own
 * input (`fields` says where each part came from), so no caller has to translate errors back.
 */

export type ReportSource = 'public' | 'anonymous' | 'partner_officer' | 'federal_officer' | 'web';
export type SubjectRole = 'subject' | 'child' | 'sponsor' | 'guardian' | 'associate';
export type SourceReliability = 'A' | 'B' | 'C' | 'D' | 'E' | 'F';

export type IntakeName = { givenNames: string; familyName1: string; familyName2?: string | undefined };

export type IntakePerson = IntakeName & {
  aliases: IntakeName[];
  dob?: string | undefined;
  dobBasis: DobBasis;
  sex: 'female' | 'male' | 'unknown';
  nationalities: string[];
  languages: string[];
  phones: string[];
  identifiers: {
    aNumber?: string | undefined;
    fbiNumber?: string | undefined;
    stateId?: { value: string; state: string } | undefined;
    orrCaseNumber?: string | undefined;
    passport?: { value: string; country: string } | undefined;
  };
};

/** A subject is a person we hold (by id) or one described in the report. */
export type IntakeSubject = { role: SubjectRole } & ({ personId: string } | { person: IntakePerson });

export type IntakeLocation = {
  /** Index into the command's subjects: whose location this is. */
  subject: number;
  address: AddressInput;
  /** When the person was there; the report's receipt when not known. */
  observedAt?: Date | undefined;
  confidence: 'low' | 'medium' | 'high';
};

export type IntakeCaseTarget = { caseId: string } | { open: { type: CaseType; priority: Priority; summary: string } };

/** Where each part of the command came from in the caller's input: the paths its broken rules are reported at. */
export type IntakeFields = {
  receivedAt: string;
  reporterPhone: string;
  agencyOri: string;
  caseId: string;
  /** Prefix of the fields of subject i's described person (e.g. its dob is `${person(i)}.dob`). */
  person: (subject: number) => string;
  personId: (subject: number) => string;
  /** Prefix of the fields of location i's address. */
  address: (location: number) => string;
  observedAt: (location: number) => string;
};

export type IntakeCommand = {
  source: ReportSource;
  reporter: {
    name?: string | undefined;
    phone?: string | undefined;
    email?: string | undefined;
    agencyOri?: string | undefined;
    badge?: string | undefined;
  };
  narrative: string;
  language: string;
  grading: { sourceReliability: SourceReliability; informationCredibility: number };
  callId?: string | undefined;
  /** When the information came in; now when not given. */
  receivedAt?: Date | undefined;
  subjects: IntakeSubject[];
  locations: IntakeLocation[];
  case: IntakeCaseTarget;
  /** The partner submission this intake files, kept on the report: a processor that crashed after it finds it. */
  submissionId?: string | undefined;
  fields: IntakeFields;
};

export type IntakeCandidate = { personId: string; verdict: MatchVerdict; weight: number; evidence: string[] };

/** What an intake did: the report, the case (with its unit, for routing its work), each subject and each location. */
export type IntakeResult = {
  report: { id: string; reference: string; callbackCode?: string };
  case: { id: string; caseNumber: string; opened: boolean; unit: string };
  subjects: { personId: string; created: boolean; linkedBy: 'person_id' | 'a_number' | 'new'; candidates: IntakeCandidate[] }[];
  locations: { id: string; precision: string; aorOfficeCode: string | null; warnings: string[] }[];
};

/** The paths of the desktop's intake body (POST /api/v1/intake). */
export const BODY_FIELDS: IntakeFields = {
  receivedAt: 'body.receivedAt',
  reporterPhone: 'body.reporter.phone',
  agencyOri: 'body.reporter.agencyOri',
  caseId: 'body.case.caseId',
  person: (i) => `body.subjects.${i}.person`,
  personId: (i) => `body.subjects.${i}.personId`,
  address: (i) => `body.locations.${i}.address`,
  observedAt: (i) => `body.locations.${i}.observedAt`,
};

export type CheckedPerson = { input: IntakePerson; identifiers: CheckedIdentifiers; phones: string[] };
export type CheckedSubject = { role: SubjectRole } & ({ personId: string } | CheckedPerson);

export type CheckedIntake = {
  receivedAt: Date;
  reporterPhone: string | undefined;
  subjects: CheckedSubject[];
  issues: FieldIssue[];
};

/** A clock reading may be a little ahead of ours: a minute's grace before a time counts as in the future. */
const FUTURE_GRACE_MS = 60_000;

function checkPerson(input: IntakePerson, today: CalendarDay, path: string, issues: FieldIssue[]): CheckedPerson {
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

/**
 * The rules an intake meets before anything is looked up or written. Addresses are checked by the geocoder (which
 * may be a service): `addressIssues[i]` is what it found wrong with location i, reported in its place.
 */
export function checkIntake(
  command: IntakeCommand,
  now: Date,
  today: CalendarDay,
  addressIssues: readonly (readonly FieldIssue[])[],
): CheckedIntake {
  const { fields } = command;
  const issues: FieldIssue[] = [];
  const receivedAt = command.receivedAt ?? now;
  if (receivedAt.getTime() > now.getTime() + FUTURE_GRACE_MS)
    issues.push({ path: fields.receivedAt, code: 'in_future', message: 'the report cannot have been received in the future' });
  const phone = command.reporter.phone;
  const reporterPhone = phone ? normalizePhone(phone) : undefined;
  if (phone && !reporterPhone)
    issues.push({ path: fields.reporterPhone, code: 'invalid_phone', message: `"${phone}" is not a phone number` });
  const subjects = command.subjects.map(
    (s, i): CheckedSubject =>
      'person' in s ? { role: s.role, ...checkPerson(s.person, today, fields.person(i), issues) } : { role: s.role, personId: s.personId },
  );
  for (const [i, location] of command.locations.entries()) {
    issues.push(...(addressIssues[i] ?? []));
    if (location.observedAt && location.observedAt.getTime() > now.getTime() + FUTURE_GRACE_MS)
      issues.push({ path: fields.observedAt(i), code: 'in_future', message: 'an observation cannot be in the future' });
  }
  return { receivedAt, reporterPhone, subjects, issues };
}

/** The refusal of an intake: every broken rule at once, nothing saved. */
export function intakeRefused(issues: FieldIssue[]): AppError {
  return new AppError(
    'validation_failed',
    `The intake was not saved: ${issues.length === 1 ? '1 field is' : `${issues.length} fields are`} invalid.`,
    { issues },
  );
}
