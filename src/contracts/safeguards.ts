import { z } from 'zod';

/** The UAC unit's board and age-out watch (safeguard.routes.ts), as services/uac.service.ts answers them. */

export const ZUacBoardCase = z.object({
  id: z.string(),
  caseNumber: z.string(),
  type: z.string(),
  status: z.string(),
  priority: z.string(),
  screening: z.enum(['none', 'positive', 'negative']).describe("the latest welfare screening's outcome"),
  activeProtections: z.number().int(),
  welfareReferralsOpen: z.number().int(),
  welfareReferralsOverdue: z.number().int(),
  nextWelfareDue: z.string().nullable(),
  latestLocation: z
    .object({
      state: z.string().nullable(),
      county: z.string().nullable(),
      latitude: z.number().nullable(),
      longitude: z.number().nullable(),
    })
    .nullable(),
});

export const ZUacBoard = z.object({
  cases: z.array(ZUacBoardCase),
  byStatus: z.record(z.string(), z.number()),
  byScreening: z.record(z.string(), z.number()),
  ageOutsDue: z.number().int().describe('children turning 18 within the window with no custody or placement decision on file'),
});

export const ZAgeOuts = z.object({
  windowDays: z.number().int(),
  persons: z.array(
    z.object({
      personId: z.string(),
      name: z.string(),
      dob: z.string().describe('the date of birth the watch plans by: an age determination, else the youngest anyone gave'),
      dobBasis: z.string(),
      turns18On: z.string().describe("a day on the center's calendar"),
      daysLeft: z.number().int(),
      caseIds: z.array(z.string()),
      decision: z.object({ decision: z.string(), decidedAt: z.string() }).nullable(),
    }),
  ),
});
