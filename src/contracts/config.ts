import { z } from 'zod';

/** The center's configuration in versions (the admin console): version 0 is what ships in reference/. IVR flows by line; the intake forms and dispositions. */

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

export const ZConfigVersions = z.object({
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
export const ZIntakeFormsVersion = z.object({ version: z.number().int(), forms: z.record(z.string(), z.unknown()) });
export const ZIntakeFormsInUse = z.object({
  version: z.number().int().describe('the version the desktop serves (0: as shipped)'),
  changedAt: z.string().nullable(),
  changedBy: z.string().nullable(),
});
export const ZVersionParams = z.strictObject({ version: z.coerce.number().int().min(0).max(1_000_000) });

const note = z.string().trim().min(3, 'say in a few words what changed and why').max(500);

export const ZSaveFlow = z.strictObject({
  flow: z.record(z.string(), z.unknown()).describe('the whole flow, as in reference/ivr/*.json; checked by the same schema'),
  note,
});
export const ZSaveIntakeForms = z.strictObject({
  forms: z
    .record(z.string(), z.unknown())
    .describe('the whole document, as reference/intake-forms.json: dispositions and forms; checked by the same schema'),
  note,
});
export const ZRollback = z.strictObject({ toVersion: z.number().int().min(0), note });
export const ZVersionSaved = z.object({ version: z.number().int() });

export const ZDiffQuery = z.strictObject({ from: z.coerce.number().int().min(0), to: z.coerce.number().int().min(0) });
export const ZDiff = z.object({ diff: z.string().describe('a unified diff of the two versions as JSON') });
