/**
 * The priorities of work the center makes by itself, in one table, so the
 * order between kinds of work is decided once (higher is offered first; the
 * engine adds 1 for every minute waited).
 *
 * Three bands, far enough apart that waiting never reorders them in practice:
 * routine work (0–100, hand-made follow-ups and tasks included), welfare work
 * from a positive screening (1,000: it outranks routine work that waited 15
 * hours), and a child in danger (10,000: missing from sponsor, abuse,
 * trafficking or labour exploitation, no safe adult — it outranks everything).
 */
export const WORK_PRIORITY = {
  /** A partner's location report: filed, worked when hands are free. */
  partnerLocationReport: 0,
  partnerEncounter: 10,
  partnerRequestAnswer: 10,
  partnerUacConcern: 30,
  partnerRequestUrgentAnswer: 40,
  partnerRequestOverdue: 40,
  partnerRequestOverdueUac: 50,
  hitConfirmation: 50,
  /** The most a person may give a follow-up or a task by hand. */
  manualMax: 100,
  /** A welfare referral (ORR, CPS, NCMEC) from a positive screening. */
  welfareReferral: 1_000,
  /** A legal reviewer's review, within 24 hours, of a welfare check sent at once about a child in danger. */
  urgentWelfareCheckReview: 1_000,
  welfareEscalation: 1_100,
  /** A welfare referral for a child in danger. */
  danger: 10_000,
  dangerEscalation: 10_100,
} as const;
