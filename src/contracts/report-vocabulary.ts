/**
 * The historical reports' vocabulary, shared by the API contract, the domain that defines each figure
 * (src/domain/reports/report-metrics.ts, which must define every metric named here) and the web app.
 */

export const REPORT_INTERVALS = ['15m', 'day', 'total'] as const;
export type ReportInterval = (typeof REPORT_INTERVALS)[number];

export const REPORT_GROUPINGS = [
  'queue',
  'line',
  'language',
  'unit',
  'agent',
  'disposition',
  'office',
  'purpose',
  'agency',
  'outcome',
] as const;
export type ReportGrouping = (typeof REPORT_GROUPINGS)[number];

/** Every figure, in the order the catalogue lists them (docs/METRICS.md defines each). */
export const REPORT_METRICS = [
  'callsArrived',
  'ivrAbandoned',
  'emergencyGuidance',
  'closedHours',
  'voicemailsLeft',
  'offered',
  'answered',
  'answeredWithinThreshold',
  'abandoned',
  'shortAbandoned',
  'abandonedAfterThreshold',
  'overflowed',
  'transfers',
  'callbacksRequested',
  'serviceLevel',
  'asaSeconds',
  'ahtSeconds',
  'abandonRate',
  'holds',
  'heldCalls',
  'avgHoldSeconds',
  'callbacksOwed',
  'callbacksKept',
  'callbacksExhausted',
  'voicemailsReceived',
  'voicemailsWorked',
  'voicemailWorkSeconds',
  'referralsCreated',
  'referralsSent',
  'referralsDenied',
  'referralsLocated',
  'referralsNotLocated',
  'referralDecisionSeconds',
  'screenings',
  'screeningsPositive',
  'welfareReferrals',
  'welfareReferralsDone',
  'welfareReferralsEscalated',
  'welfareDecisionSeconds',
  'partnerRequests',
  'partnerRequestsAnswered',
  'partnerRequestsDenied',
  'partnerAnswerSeconds',
  'partnerSubmissions',
  'partnerSubmissionsAccepted',
  'partnerSubmissionsRejected',
] as const;
export type ReportMetric = (typeof REPORT_METRICS)[number];
