/**
 * Historical report figures (docs/METRICS.md): each metric is read from one durable source — the call records, the
 * callbacks, the voicemails, the referrals, the welfare referrals and screenings, the partner requests and
 * submissions — and defined once, here, from the counts and sums the storage layer adds up per interval and group.
 * The call figures follow the wallboard's definitions (src/domain/routing/statistics.ts).
 */

import {
  REPORT_GROUPINGS,
  REPORT_INTERVALS,
  REPORT_METRICS,
  type ReportGrouping,
  type ReportInterval,
  type ReportMetric,
} from '../../contracts/report-vocabulary.js';

export { REPORT_GROUPINGS, REPORT_INTERVALS, REPORT_METRICS, type ReportGrouping, type ReportInterval, type ReportMetric };

export const REPORT_SOURCES = [
  'arrivals',
  'calls',
  'callbacks',
  'voicemails',
  'referrals',
  'screenings',
  'welfareReferrals',
  'partnerRequests',
  'partnerSubmissions',
] as const;
export type ReportSource = (typeof REPORT_SOURCES)[number];

/** The groupings each source's records hold. */
export const SOURCE_GROUPINGS: Record<ReportSource, readonly ReportGrouping[]> = {
  arrivals: ['line', 'language', 'unit'],
  calls: ['queue', 'line', 'language', 'unit', 'agent', 'disposition'],
  callbacks: ['line', 'language', 'unit'],
  voicemails: ['line', 'language', 'unit', 'agent'],
  referrals: ['office', 'purpose', 'outcome'],
  screenings: ['outcome'],
  welfareReferrals: ['agency'],
  partnerRequests: ['agency', 'purpose', 'outcome'],
  partnerSubmissions: ['agency', 'outcome'],
};

/** Counts and sums (seconds) of one source in one interval and group, as the storage layer returns them. */
export type SourceTotals = Record<string, number>;

export type MetricUnit = 'count' | 'ratio' | 'seconds';

type MetricSpec = {
  source: ReportSource;
  label: string;
  unit: MetricUnit;
  value: (t: SourceTotals) => number | null;
};

const n = (t: SourceTotals, key: string): number => t[key] ?? 0;
const ratio = (num: number, den: number): number | null => (den === 0 ? null : num / den);

const count = (source: ReportSource, label: string, key: string): MetricSpec => ({
  source,
  label,
  unit: 'count',
  value: (t) => n(t, key),
});
const meanSeconds = (source: ReportSource, label: string, sum: string, of: string): MetricSpec => ({
  source,
  label,
  unit: 'seconds',
  value: (t) => ratio(n(t, sum), n(t, of)),
});

/** Offered: queued tasks less short abandons and less the waiting calls that became a callback or were transferred. */
const offered = (t: SourceTotals): number => n(t, 'queued') - n(t, 'shortAbandoned') - n(t, 'notOffered');

export const METRICS = {
  callsArrived: count('arrivals', 'Calls arrived', 'arrived'),
  ivrAbandoned: count('arrivals', 'Hung up in the IVR', 'ivrAbandoned'),
  emergencyGuidance: count('arrivals', 'Emergency guidance given', 'emergency'),
  closedHours: count('arrivals', 'Arrived while closed', 'closed'),
  voicemailsLeft: count('arrivals', 'Voicemails left', 'voicemail'),

  offered: { source: 'calls', label: 'Offered', unit: 'count', value: offered },
  answered: count('calls', 'Answered', 'answered'),
  answeredWithinThreshold: count('calls', 'Answered within threshold', 'within'),
  abandoned: count('calls', 'Abandoned', 'abandoned'),
  shortAbandoned: count('calls', 'Short abandoned', 'shortAbandoned'),
  abandonedAfterThreshold: count('calls', 'Abandoned after threshold', 'lateAbandoned'),
  overflowed: count('calls', 'Overflowed', 'overflowed'),
  transfers: count('calls', 'Transferred', 'transferred'),
  callbacksRequested: count('calls', 'Callbacks requested', 'callbackRequested'),
  serviceLevel: {
    source: 'calls',
    label: 'Service level',
    unit: 'ratio',
    value: (t) => ratio(n(t, 'within'), n(t, 'answered') + n(t, 'lateAbandoned')),
  },
  asaSeconds: meanSeconds('calls', 'ASA (s)', 'waitSeconds', 'answered'),
  ahtSeconds: meanSeconds('calls', 'AHT (s)', 'handleSeconds', 'handled'),
  abandonRate: { source: 'calls', label: 'Abandon rate', unit: 'ratio', value: (t) => ratio(n(t, 'abandoned'), offered(t)) },
  holds: count('calls', 'Holds', 'holds'),
  heldCalls: count('calls', 'Calls put on hold', 'heldCalls'),
  avgHoldSeconds: meanSeconds('calls', 'Average hold (s)', 'holdSeconds', 'heldCalls'),

  callbacksOwed: count('callbacks', 'Callbacks owed', 'created'),
  callbacksKept: count('callbacks', 'Callbacks kept', 'completed'),
  callbacksExhausted: count('callbacks', 'Callbacks exhausted', 'exhausted'),

  voicemailsReceived: count('voicemails', 'Voicemails received', 'received'),
  voicemailsWorked: count('voicemails', 'Voicemails worked', 'worked'),
  voicemailWorkSeconds: meanSeconds('voicemails', 'Voicemail time to work (s)', 'workSeconds', 'worked'),

  referralsCreated: count('referrals', 'Referrals', 'created'),
  referralsSent: count('referrals', 'Referrals sent', 'sent'),
  referralsDenied: count('referrals', 'Referrals denied', 'denied'),
  referralsLocated: count('referrals', 'Referrals: located', 'located'),
  referralsNotLocated: count('referrals', 'Referrals: not located', 'notLocated'),
  referralDecisionSeconds: meanSeconds('referrals', 'Referral time to decision (s)', 'decisionSeconds', 'decided'),

  screenings: count('screenings', 'Welfare screenings', 'screened'),
  screeningsPositive: count('screenings', 'Screenings positive', 'positive'),

  welfareReferrals: count('welfareReferrals', 'Welfare referrals', 'created'),
  welfareReferralsDone: count('welfareReferrals', 'Welfare referrals done', 'done'),
  welfareReferralsEscalated: count('welfareReferrals', 'Welfare referrals escalated', 'escalated'),
  welfareDecisionSeconds: meanSeconds('welfareReferrals', 'Welfare referral time to done (s)', 'doneSeconds', 'done'),

  partnerRequests: count('partnerRequests', 'Partner requests', 'created'),
  partnerRequestsAnswered: count('partnerRequests', 'Partner requests answered', 'answered'),
  partnerRequestsDenied: count('partnerRequests', 'Partner requests denied', 'denied'),
  partnerAnswerSeconds: meanSeconds('partnerRequests', 'Partner time to answer (s)', 'answerSeconds', 'answered'),

  partnerSubmissions: count('partnerSubmissions', 'Partner submissions', 'received'),
  partnerSubmissionsAccepted: count('partnerSubmissions', 'Submissions accepted', 'accepted'),
  partnerSubmissionsRejected: count('partnerSubmissions', 'Submissions rejected', 'rejected'),
} satisfies Record<ReportMetric, MetricSpec>;

export const isReportMetric = (value: string): value is ReportMetric => value in METRICS;

export const metricSpec = (metric: ReportMetric): MetricSpec => METRICS[metric];

/** The sources a set of metrics reads, in a stable order. */
export const sourcesOf = (metrics: readonly ReportMetric[]): ReportSource[] =>
  REPORT_SOURCES.filter((source) => metrics.some((m) => METRICS[m].source === source));

/** The groupings asked for that one of the metrics' sources does not hold (the report cannot be split by them). */
export function unsupportedGroupings(metrics: readonly ReportMetric[], groupings: readonly ReportGrouping[]): string[] {
  const problems: string[] = [];
  for (const source of sourcesOf(metrics)) {
    for (const g of groupings) if (!SOURCE_GROUPINGS[source].includes(g)) problems.push(`${g} (${source})`);
  }
  return problems;
}

/** Intervals a report may have at most: a 15-minute report of more than this many days is refused (too many rows to read). */
export const MAX_RANGE_DAYS: Record<ReportInterval, number> = { '15m': 93, day: 732, total: 732 };
