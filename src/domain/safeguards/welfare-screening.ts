/**
 * The welfare screening every UAC case gets before any referral (TVPRA-informed):
 * each question is answered yes or no — a "yes" means there are indicators, not
 * proof. Any "yes" makes the screen positive, and each indicator names the
 * agencies a welfare referral goes to: ORR, the state's child protective
 * services (CPS), NCMEC for a missing child.
 */

export const SCREENING_QUESTIONS = {
  trafficking_indicators: {
    text: 'Are there indicators of trafficking (controlled movement, debt to a smuggler or employer, someone else holds the documents)?',
    agencies: ['orr'],
    danger: true,
  },
  labour_exploitation: {
    text: 'Is the child working, or made to work, in conditions that exploit them?',
    agencies: ['orr', 'cps'],
    danger: true,
  },
  abuse_or_neglect: { text: 'Are there indicators of abuse or neglect?', agencies: ['cps', 'orr'], danger: true },
  missing_from_sponsor: { text: 'Is the child missing from the sponsor ORR released them to?', agencies: ['ncmec', 'orr'], danger: true },
  unsafe_sponsor_placement: {
    text: 'Is the sponsor placement unsafe (the sponsor is absent, abusive or not the person vetted)?',
    agencies: ['orr', 'cps'],
    // No safe adult.
    danger: true,
  },
  urgent_medical_need: { text: 'Does the child have an urgent medical need?', agencies: ['orr'], danger: false },
  urgent_mental_health_need: {
    text: 'Does the child have an urgent mental-health need (including risk of self-harm)?',
    agencies: ['orr'],
    danger: false,
  },
} as const satisfies Record<string, { text: string; agencies: readonly ('orr' | 'cps' | 'ncmec')[]; danger: boolean }>;

export type ScreeningQuestion = keyof typeof SCREENING_QUESTIONS;
export const QUESTION_IDS = Object.keys(SCREENING_QUESTIONS) as ScreeningQuestion[];
export type Agency = 'orr' | 'cps' | 'ncmec';
export type ScreeningAnswers = Record<ScreeningQuestion, { answer: 'yes' | 'no'; note?: string | undefined }>;

export type ScreeningResult = {
  outcome: 'positive' | 'negative';
  /** One welfare referral per agency, with the indicators that call for it. */
  referrals: { agency: Agency; reasons: ScreeningQuestion[] }[];
};

/**
 * Danger indicators: missing from sponsor, signs of abuse, trafficking or
 * labour exploitation, no safe adult. A positive screen with one of them puts
 * its welfare referrals above all other work, and lets a welfare check to a
 * partner agency go out at once (the urgent lane, reviewed afterwards).
 */
export const isDangerIndicator = (q: ScreeningQuestion): boolean => SCREENING_QUESTIONS[q].danger;
export const dangerIndicators = (answers: Partial<Record<ScreeningQuestion, { answer: 'yes' | 'no' }>>): ScreeningQuestion[] =>
  QUESTION_IDS.filter((q) => isDangerIndicator(q) && answers[q]?.answer === 'yes');

export function scoreScreening(answers: ScreeningAnswers): ScreeningResult {
  const byAgency = new Map<Agency, ScreeningQuestion[]>();
  for (const id of QUESTION_IDS) {
    if (answers[id].answer !== 'yes') continue;
    for (const agency of SCREENING_QUESTIONS[id].agencies) byAgency.set(agency, [...(byAgency.get(agency) ?? []), id]);
  }
  const order: Agency[] = ['ncmec', 'cps', 'orr'];
  const referrals = order.filter((a) => byAgency.has(a)).map((agency) => ({ agency, reasons: byAgency.get(agency) ?? [] }));
  return { outcome: referrals.length > 0 ? 'positive' : 'negative', referrals };
}
