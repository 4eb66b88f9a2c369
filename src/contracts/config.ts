import { z } from 'zod';

/** The IVR flows' versions (the admin console): version 0 is the flow shipped in reference/ivr. */

export const ZLineParams = z.strictObject({ line: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number (+ written %2B)') });
export const ZLineVersionParams = ZLineParams.extend({ version: z.coerce.number().int().min(0).max(1_000_000) });

export const ZLineFlows = z.object({
  flows: z.array(
    z.object({
      line: z.string(),
      name: z.string(),
      unit: z.string(),
      version: z.number().int().describe('the version the line answers with (0: as shipped)'),
      changedAt: z.string().nullable(),
      changedBy: z.string().nullable(),
    }),
  ),
});

export const ZFlowVersions = z.object({
  versions: z.array(
    z.object({
      version: z.number().int(),
      note: z.string(),
      restoredFrom: z.number().int().nullable().describe('a rollback: the version it copied forward'),
      createdBy: z.string().nullable(),
      createdAt: z.string().nullable(),
    }),
  ),
});

export const ZFlowVersion = z.object({ version: z.number().int(), flow: z.record(z.string(), z.unknown()) });

const note = z.string().trim().min(3, 'say in a few words what changed and why').max(500);

export const ZSaveFlow = z.strictObject({
  flow: z.record(z.string(), z.unknown()).describe('the whole flow, as in reference/ivr/*.json; checked by the same schema'),
  note,
});
export const ZRollbackFlow = z.strictObject({ toVersion: z.number().int().min(0), note });
export const ZFlowSaved = z.object({ version: z.number().int() });

export const ZFlowDiffQuery = z.strictObject({ from: z.coerce.number().int().min(0), to: z.coerce.number().int().min(0) });
export const ZFlowDiff = z.object({ diff: z.string().describe('a unified diff of the two versions as JSON') });
