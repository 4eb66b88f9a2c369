import type { z } from 'zod';
import type { ZCasePage, ZCaseSummary, ZCaseView, ZGate, ZIntakeResult, ZReferral, ZReferralCreate, ZReferralPage } from './cases.js';
import type { ZErrorResponse, ZFieldIssue } from './common.js';
import type { ZChallenge, ZPartnerClient, ZSession } from './identity.js';
import type {
  ZAgencyRequest,
  ZPartnerAnswer,
  ZPartnerRequestCreate,
  ZRequestAddress,
  ZStaffRequest,
  ZSubmissionAck,
  ZSubmissionStatus,
} from './partner.js';
import type { ZAgeDeterminationBody, ZAgeDeterminationResult, ZLocationObservation, ZPerson, ZPersonHit, ZPersonHits } from './persons.js';
import type { ZAgentState, ZQueueStatsResponse, ZReservation, ZTask, ZTaskList } from './routing.js';

/**
 * The response (and request) shapes the web app reads and sends, named once and derived from the schemas the
 * server validates and documents with, so the web app declares none of its own. Types only: importing this
 * module brings no zod code into the browser bundle.
 */

export type CaseSummary = z.infer<typeof ZCaseSummary>;
export type CasePage = z.infer<typeof ZCasePage>;
export type CaseView = z.infer<typeof ZCaseView>;
export type LocationObservation = z.infer<typeof ZLocationObservation>;
export type Gate = z.infer<typeof ZGate>;
export type GateReason = Gate['reasons'][number];
export type Referral = z.infer<typeof ZReferral>;
export type ReferralCreate = z.input<typeof ZReferralCreate>;

export type PersonView = z.infer<typeof ZPerson>;
export type PersonHit = z.infer<typeof ZPersonHit>;
export type PersonHits = z.infer<typeof ZPersonHits>;
export type AgeDeterminationBody = z.input<typeof ZAgeDeterminationBody>;
export type AgeDeterminationResult = z.infer<typeof ZAgeDeterminationResult>;
export type ReferralPage = z.infer<typeof ZReferralPage>;
export type IntakeResult = z.infer<typeof ZIntakeResult>;

export type FieldIssue = z.infer<typeof ZFieldIssue>;
export type ErrorResponse = z.infer<typeof ZErrorResponse>;
export type Session = z.infer<typeof ZSession>;
export type Challenge = z.infer<typeof ZChallenge>;
export type PartnerClient = z.infer<typeof ZPartnerClient>;

export type Task = z.infer<typeof ZTask>;
export type TaskList = z.infer<typeof ZTaskList>;
export type Reservation = z.infer<typeof ZReservation>;
export type AgentState = z.infer<typeof ZAgentState>;
export type QueueStatsResponse = z.infer<typeof ZQueueStatsResponse>;

export type SubmissionStatus = z.infer<typeof ZSubmissionStatus>;
export type SubmissionAck = z.infer<typeof ZSubmissionAck>;
export type AgencyRequest = z.infer<typeof ZAgencyRequest>;
export type PartnerAnswer = z.input<typeof ZPartnerAnswer>;
export type StaffRequest = z.infer<typeof ZStaffRequest>;
export type PartnerRequestCreate = z.input<typeof ZPartnerRequestCreate>;
export type RequestAddress = z.infer<typeof ZRequestAddress>;

/*
 * Shapes whose schemas are still declared inline in src/http/routes (issue #16 moves them into src/contracts):
 * written out here, matching those schemas, until they can be z.infer of a contract schema.
 */

/** GET /api/v1/routing/agents (routing.routes.ts). */
export type AgentList = {
  agents: {
    userId: string;
    displayName: string;
    activity: string;
    activitySince: string;
    available: boolean;
    load: { voice: number; work_item: number };
  }[];
};

/** GET /api/v1/contacts/history (desktop.routes.ts). */
export type ContactHistory = {
  number: string;
  total: number;
  contacts: { at: string; disposition: string; queueId: string; case: { id: string; caseNumber: string } | null }[];
};

/** GET and PUT /api/v1/intake/drafts/:key (desktop.routes.ts). */
export type IntakeDraft = { key: string; form: string; data: Record<string, unknown>; version: number; updatedAt: string };

/** POST /api/v1/cases/:id/partner-requests (partner-request.routes.ts). */
export type PartnerRequestsMade = { requests: StaffRequest[]; decision: string };

/** GET /api/v1/cases/:id/partner-request-candidates (partner-request.routes.ts). */
export type PartnerRequestCandidates = {
  personId: string;
  location: RequestAddress | null;
  agencies: { ori: string; name: string; type: string; county: string | null }[];
};

/** POST /api/v1/portal/requests/:id/answer (partner-request.routes.ts). */
export type AnsweredRequest = AgencyRequest & { reportReference: string };

/** GET /api/v1/portal/client-requests (client-request.routes.ts). */
export type ClientRequest = {
  id: string;
  agencyOri: string;
  name: string;
  scopes: string[];
  justification: string;
  status: 'pending' | 'approved' | 'refused';
  createdAt: string;
  decidedAt: string | null;
  decisionNote: string | null;
  clientId: string | null;
  secretWaiting: boolean;
};
export type ClientRequests = { requests: ClientRequest[]; clients: PartnerClient[] };
/** POST /api/v1/portal/client-requests/:id/collect: the secret, shown only now. */
export type CollectedClientSecret = { clientId: string; clientSecret: string };

/** The CSV batches of /api/v1/portal/batches (submission.routes.ts). */
export type BatchAck = { id: string; status: string; rows: number; statusUrl: string; receivedAt: string };
export type BatchProgress = {
  id: string;
  filename: string | null;
  status: 'received' | 'splitting' | 'split' | 'failed';
  receivedAt: string;
  totalRows: number | null;
  refusedRows: number;
  submissions: { received: number; processing: number; accepted: number; rejected: number };
  done: boolean;
};
export type BatchRow = {
  row: number;
  result: 'refused' | 'received' | 'processing' | 'accepted' | 'rejected';
  submissionId: string | null;
  reference: string | null;
  issues: { column: string; code: string; message: string }[];
};

/** The list wrappers of those routes. */
export type SubmissionList = { submissions: SubmissionStatus[] };
export type StaffRequestList = { requests: StaffRequest[] };
export type AgencyRequestList = { requests: AgencyRequest[] };
export type BatchList = { batches: BatchProgress[] };
export type BatchRows = { rows: BatchRow[] };

/** GET /api/v1/uac/board (safeguard.routes.ts declares it a record; the shape is uacBoard's in services/uac.service.ts). */
export type UacBoardCase = {
  id: string;
  caseNumber: string;
  type: string;
  status: string;
  priority: string;
  screening: 'none' | 'positive' | 'negative';
  activeProtections: number;
  welfareReferralsOpen: number;
  welfareReferralsOverdue: number;
  nextWelfareDue: string | null;
  latestLocation: { state: string | null; county: string | null; latitude: number | null; longitude: number | null } | null;
};
export type UacBoard = { cases: UacBoardCase[]; byStatus: Record<string, number>; byScreening: Record<string, number>; ageOutsDue: number };

/** GET /api/v1/uac/age-outs (declared a record likewise; the shape is ageOuts' in services/uac.service.ts). */
export type AgeOuts = {
  windowDays: number;
  persons: {
    personId: string;
    name: string;
    dob: string;
    dobBasis: string;
    turns18On: string;
    daysLeft: number;
    caseIds: string[];
    decision: { decision: string; decidedAt: string } | null;
  }[];
};

/**
 * A staff request's gate as the service stores it: the gate's answer, and for the urgent welfare lane why it went at
 * once. ZStaffRequest declares it unknown; typing it there is left to the contracts move.
 */
export type StaffRequestGate = Pick<Gate, 'decision' | 'reasons'> & { urgentLane?: { indicators: string[]; message: string } };

/** GET /api/v1/partner-requests/review-queue (partner-request.routes.ts). */
export type ReviewQueueRequests = { requests: (Omit<StaffRequest, 'gate'> & { caseNumber: string; gate: StaffRequestGate })[] };
