import { z } from 'zod';

/**
 * The scripted intake forms per queue and the wrap-up dispositions (reference/intake-forms.json: data, not screens).
 * The server checks the file against this schema at start-up and serves it at GET /api/v1/intake/forms; the agent
 * desktop draws its forms from it.
 */

const ZField = z.object({
  id: z.string().regex(/^(reporter|subject|location|grading|case)\.[a-zA-Z0-9]+$|^narrative$/),
  label: z.string().min(1),
  type: z.enum(['text', 'textarea', 'tel', 'date', 'select', 'checkbox']),
  options: z.array(z.string()).optional(),
  required: z.boolean().optional(),
});
export const ZIntakeForms = z.object({
  dispositions: z.array(z.object({ code: z.string().regex(/^[a-z_]{2,40}$/), label: z.string() })).min(1),
  forms: z
    .array(
      z.object({
        id: z.string().regex(/^[a-z_]{2,40}$/),
        title: z.string(),
        queues: z.array(z.string()).min(1),
        source: z.enum(['public', 'anonymous', 'partner_officer', 'federal_officer', 'web']),
        subjectRole: z.enum(['subject', 'child', 'sponsor', 'guardian', 'associate']),
        caseTypes: z
          .array(z.enum(['enforcement_lead', 'uac_location', 'uac_welfare', 'partner_referral', 'hit_confirmation', 'general_tip']))
          .min(1),
        script: z.string(),
        fields: z.array(ZField).min(1),
      }),
    )
    .min(1),
});
export type IntakeForms = z.infer<typeof ZIntakeForms>;
export type IntakeForm = IntakeForms['forms'][number];
