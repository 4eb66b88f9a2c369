import { z } from 'zod';

/**
 * IVR flows as data: one JSON file per line (reference/ivr/*.json), checked
 * at load — every node reference, prompt and digit — and refused with the
 * path of the first problems ("nodes.reason.options.9.next: unknown node
 * …"). Node kinds: play, menu, collect, set, hours, enqueue, transfer,
 * voicemail, hangup.
 */

const id = z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, 'must be a lower-case id (letters, digits, -)');
const vars = z.record(
  z.string().regex(/^[a-zA-Z][a-zA-Z0-9]{0,30}$/, 'must be a variable name'),
  z.union([z.string().max(40), z.boolean()]),
);
const digit = z.string().regex(/^[0-9*#]$/, 'must be one key: 0–9, * or #');
const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM');
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

const ZNode = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('play'), prompt: id, set: vars.optional(), next: id }),
  z.strictObject({
    type: z.literal('menu'),
    prompt: id,
    options: z.record(digit, z.strictObject({ next: id, set: vars.optional() })),
    timeoutMs: z.number().int().min(1_000).max(60_000).default(6_000),
    retries: z.number().int().min(0).max(5).default(2),
    invalidPrompt: id.default('invalid'),
    timeoutPrompt: id.default('no-input'),
    onFailure: id,
  }),
  z.strictObject({
    type: z.literal('collect'),
    prompt: id,
    minDigits: z.number().int().min(1).max(20),
    maxDigits: z.number().int().min(1).max(20),
    terminator: digit.optional(),
    timeoutMs: z.number().int().min(1_000).max(60_000).default(8_000),
    retries: z.number().int().min(0).max(5).default(2),
    invalidPrompt: id.default('invalid'),
    validate: z.enum(['none', 'agency_ori']).default('none'),
    store: z.string().regex(/^[a-zA-Z][a-zA-Z0-9]{0,30}$/),
    next: id,
    onFailure: id,
  }),
  z.strictObject({ type: z.literal('set'), set: vars, next: id }),
  z.strictObject({ type: z.literal('hours'), open: id, closed: id }),
  z.strictObject({
    type: z.literal('enqueue'),
    attributes: vars.optional(),
    priority: z.number().int().min(0).max(100).default(0),
    callbackOffer: z.boolean().default(false),
    announceEverySeconds: z.number().int().min(15).max(600).default(45),
    maxWaitSeconds: z.number().int().min(30).max(7_200).default(1_200),
    maxWaiting: z.number().int().min(1).max(10_000).default(200),
    overflow: z.enum(['voicemail', 'callback']).default('voicemail'),
  }),
  z.strictObject({
    type: z.literal('transfer'),
    to: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number'),
    prompt: id.optional(),
  }),
  z.strictObject({
    type: z.literal('voicemail'),
    prompt: id.default('voicemail'),
    maxSeconds: z.number().int().min(10).max(600).default(120),
  }),
  z.strictObject({
    type: z.literal('hangup'),
    prompt: id.optional(),
    reason: z
      .string()
      .regex(/^[a-z_]{1,40}$/)
      .default('completed'),
  }),
]);
export type FlowNode = z.output<typeof ZNode>;

export const ZFlow = z
  .strictObject({
    line: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number'),
    name: z.string().min(1).max(100),
    /** Whose calls these are, for need-to-know: the UAC line's calls are the UAC unit's. */
    unit: z.enum(['general', 'uac']).default('general'),
    hours: z.strictObject({
      timeZone: z.string().refine((tz) => {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'must be an IANA time zone'),
      weekly: z.union([z.literal('always'), z.array(z.strictObject({ days: z.array(z.enum(DAYS)).min(1), from: time, to: time }))]),
      holidays: z.array(z.iso.date()).default([]),
    }),
    start: id,
    nodes: z.record(id, ZNode),
  })
  .superRefine((flow, ctx) => {
    const known = new Set(Object.keys(flow.nodes));
    const ref = (target: string, at: (string | number)[]) => {
      if (!known.has(target)) ctx.addIssue({ code: 'custom', path: at, message: `unknown node "${target}"` });
    };
    ref(flow.start, ['start']);
    for (const [name, node] of Object.entries(flow.nodes)) {
      const at = ['nodes', name];
      if ('next' in node) ref(node.next, [...at, 'next']);
      if ('onFailure' in node) ref(node.onFailure, [...at, 'onFailure']);
      if (node.type === 'hours') {
        ref(node.open, [...at, 'open']);
        ref(node.closed, [...at, 'closed']);
      }
      if (node.type === 'menu') for (const [d, o] of Object.entries(node.options)) ref(o.next, [...at, 'options', d, 'next']);
      if (node.type === 'collect' && node.minDigits > node.maxDigits)
        ctx.addIssue({ code: 'custom', path: [...at, 'minDigits'], message: 'must not exceed maxDigits' });
    }
  });
export type Flow = z.output<typeof ZFlow>;

export const ZPrompts = z.record(z.string(), z.union([z.string(), z.record(z.enum(['en', 'es']), z.string().min(1).max(1_000))]));
export type PromptCatalog = Record<string, Record<'en' | 'es', string>>;

export class FlowError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`IVR flow ${file} refused: ${problems.join('; ')}`);
  }
}

const pathOf = (p: readonly PropertyKey[]) => p.map(String).join('.');

/** Checks a flow against the schema and the prompt catalogue; throws FlowError listing each problem with its path. */
export function checkFlow(file: string, raw: unknown, prompts: PromptCatalog): Flow {
  const parsed = ZFlow.safeParse(raw);
  if (!parsed.success)
    throw new FlowError(
      file,
      // A bad record key (a menu digit) carries the key's own problem inside.
      parsed.error.issues.map((i) => `${pathOf(i.path) || '(root)'}: ${(i.code === 'invalid_key' && i.issues[0]?.message) || i.message}`),
    );
  const problems: string[] = [];
  for (const [name, node] of Object.entries(parsed.data.nodes)) {
    for (const key of ['prompt', 'invalidPrompt', 'timeoutPrompt'] as const) {
      const prompt = (node as Record<string, unknown>)[key];
      if (typeof prompt === 'string' && !prompts[prompt]) problems.push(`nodes.${name}.${key}: unknown prompt "${prompt}"`);
    }
  }
  if (problems.length > 0) throw new FlowError(file, problems);
  return parsed.data;
}

/** The prompt catalogue (prompts.json's content): ids to their English and Spanish text; `_`-keys are comments. */
export function parsePrompts(file: string, raw: unknown): PromptCatalog {
  const parsed = ZPrompts.safeParse(raw);
  if (!parsed.success)
    throw new FlowError(
      file,
      parsed.error.issues.map((i) => `${pathOf(i.path)}: ${i.message}`),
    );
  const out: PromptCatalog = {};
  for (const [key, value] of Object.entries(parsed.data))
    if (!key.startsWith('_') && typeof value !== 'string') out[key] = value as Record<'en' | 'es', string>;
  return out;
}
