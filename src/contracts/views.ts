import type { z } from 'zod';
import type { ZCasePage, ZCaseSummary, ZCaseView, ZGate, ZIntakeResult, ZReferral, ZReferralCreate, ZReferralPage } from './cases.js';
import type { ZAgencyClientRequests, ZCollectedClientSecret } from './client-requests.js';
import type { ZErrorResponse, ZFieldIssue } from './common.js';
import type { ZConfigVersions, ZLineFlows } from './config.js';
import type { ZContactHistory, ZDraft } from './desktop.js';
import type {
  ZAuditEventList,
  ZAuditKey,
  ZAuditVerify,
  ZChallenge,
  ZMinorReadsReport,
  ZPartnerClient,
  ZRefusalsReport,
  ZSession,
  ZSsoInfo,
} from './identity.js';
import type {
  ZAgencyRequest,
  ZBatchAck,
  ZBatchProgress,
  ZBatchRow,
  ZClientRequest,
  ZPartnerAnswer,
  ZPartnerRequestCandidates,
  ZPartnerRequestCreate,
  ZPartnerRequestsMade,
  ZRequestAddress,
  ZStaffRequest,
  ZSubmissionAck,
  ZSubmissionStatus,
} from './partner.js';
import type { ZAgeDeterminationBody, ZAgeDeterminationResult, ZLocationObservation, ZPerson, ZPersonHit, ZPersonHits } from './persons.js';
import type { ZAgentList, ZAgentState, ZQueueStatsResponse, ZReservation, ZTask, ZTaskList } from './routing.js';
import type { ZAgeOuts, ZUacBoard, ZUacBoardCase } from './safeguards.js';
import type { ZBatchList, ZBatchRows, ZSubmissionList } from './submissions.js';

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
export type SsoInfo = z.infer<typeof ZSsoInfo>;
export type PartnerClient = z.infer<typeof ZPartnerClient>;

export type AuditEventList = z.infer<typeof ZAuditEventList>;
export type AuditVerify = z.infer<typeof ZAuditVerify>;
export type AuditKey = z.infer<typeof ZAuditKey>;
export type RefusalsReport = z.infer<typeof ZRefusalsReport>;
export type MinorReadsReport = z.infer<typeof ZMinorReadsReport>;
export type LineFlows = z.infer<typeof ZLineFlows>;
export type ConfigVersions = z.infer<typeof ZConfigVersions>;

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

/** GET /api/v1/portal/client-requests (client-request.routes.ts). */
export type ClientRequest = z.infer<typeof ZClientRequest>;

/** The CSV batches of /api/v1/portal/batches (submission.routes.ts). */
export type BatchAck = z.infer<typeof ZBatchAck>;
export type BatchProgress = z.infer<typeof ZBatchProgress>;
export type BatchRow = z.infer<typeof ZBatchRow>;

/** GET /api/v1/uac/board and GET /api/v1/uac/age-outs (src/contracts/safeguards.ts). */
export type UacBoardCase = z.infer<typeof ZUacBoardCase>;
export type UacBoard = z.infer<typeof ZUacBoard>;
export type AgeOuts = z.infer<typeof ZAgeOuts>;

/*
 * Shapes of routes whose schemas moved from src/http/routes into src/contracts (z.infer), and compositions of
 * contract types (list wrappers, the answered request). Still written by hand: StaffRequestGate (ZStaffRequest
 * declares the gate unknown).
 */

/** GET /api/v1/routing/agents (routing.routes.ts). */
export type AgentList = z.infer<typeof ZAgentList>;

/** GET /api/v1/contacts/history (desktop.routes.ts). */
export type ContactHistory = z.infer<typeof ZContactHistory>;

/** GET and PUT /api/v1/intake/drafts/:key (desktop.routes.ts). */
export type IntakeDraft = z.infer<typeof ZDraft>;

/** POST /api/v1/cases/:id/partner-requests (partner-request.routes.ts). */
export type PartnerRequestsMade = z.infer<typeof ZPartnerRequestsMade>;

/** GET /api/v1/cases/:id/partner-request-candidates (partner-request.routes.ts). */
export type PartnerRequestCandidates = z.infer<typeof ZPartnerRequestCandidates>;

/** POST /api/v1/portal/requests/:id/answer (partner-request.routes.ts). */
export type AnsweredRequest = AgencyRequest & { reportReference: string };

/** GET /api/v1/portal/client-requests and POST /api/v1/portal/client-requests/:id/collect (client-request.routes.ts). */
export type ClientRequests = z.infer<typeof ZAgencyClientRequests>;
export type CollectedClientSecret = z.infer<typeof ZCollectedClientSecret>;

/** The list wrappers of those routes. */
export type SubmissionList = z.infer<typeof ZSubmissionList>;
export type StaffRequestList = { requests: StaffRequest[] };
export type AgencyRequestList = { requests: AgencyRequest[] };
export type BatchList = z.infer<typeof ZBatchList>;
export type BatchRows = z.infer<typeof ZBatchRows>;

/**
 * A staff request's gate as the service stores it: the gate's answer, and for the urgent welfare lane why it went at
 * once. ZStaffRequest declares it unknown; typing it there is left to the contracts move.
 */
export type StaffRequestGate = Pick<Gate, 'decision' | 'reasons'> & { urgentLane?: { indicators: string[]; message: string } };

/** GET /api/v1/partner-requests/review-queue (partner-request.routes.ts). */
export type ReviewQueueRequests = { requests: (Omit<StaffRequest, 'gate'> & { caseNumber: string; gate: StaffRequestGate })[] };
