import { z } from 'zod';

/** Shapes shared by the server and the web app. */

export const ZFieldIssue = z.object({
  path: z.string().describe('dotted path of the field, e.g. "subjects.0.dob"; empty for the whole input'),
  code: z.string(),
  message: z.string(),
});

export const ZErrorResponse = z.object({
  error: z.object({
    code: z.string().describe('stable machine-readable code, e.g. validation_failed, unauthenticated, forbidden'),
    message: z.string().describe('what went wrong, for people'),
    requestId: z.string().describe('quote this when reporting a problem'),
    issues: z.array(ZFieldIssue).optional().describe('every invalid field, for validation_failed'),
  }),
});
export type TErrorResponse = z.infer<typeof ZErrorResponse>;

export const ZHealth = z.object({ status: z.literal('ok') });

export const ZReadiness = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({
    database: z.enum(['ok', 'unreachable']),
    migrations: z.enum(['ok', 'pending', 'unknown', 'mismatch']),
  }),
});
export type TReadiness = z.infer<typeof ZReadiness>;
