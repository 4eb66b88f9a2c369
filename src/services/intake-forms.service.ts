import { type IntakeForms, ZIntakeForms } from '../contracts/intake-forms.js';
import { AppError } from '../domain/errors/app-error.js';
import type { Db } from '../storage/database.js';
import type { RequestContext } from './audit.service.js';
import { type ConfigVersion, ConfigVersions } from './config-versions.service.js';
import { intakeForms, useIntakeForms } from './desktop.service.js';

/**
 * The intake forms and wrap-up dispositions as the admin console changes them (issue #20): one document in versions
 * (config-versions.service) — version 0 is reference/intake-forms.json — checked by the schema the file passes, and
 * keeping the dispositions the code acts on. The newest version is what the desktop serves: on this node at once, on
 * the others at their next `refresh` (a poll).
 */

const KEY = 'forms';

/** Dispositions with behaviour behind them: a report taken, a callback scheduled, a callback that reached voicemail. */
export const REQUIRED_DISPOSITIONS = ['report_taken', 'callback_scheduled', 'callback_voicemail'] as const;

export function checkIntakeForms(raw: unknown): IntakeForms {
  const parsed = ZIntakeForms.safeParse(raw);
  if (!parsed.success)
    throw new AppError('validation_failed', 'The intake forms were not saved: they do not pass the schema.', {
      issues: parsed.error.issues.map((i) => ({ path: `body.forms.${i.path.join('.')}`, code: 'intake_forms', message: i.message })),
    });
  const issues: { path: string; code: string; message: string }[] = [];
  const codes = parsed.data.dispositions.map((d) => d.code);
  for (const code of REQUIRED_DISPOSITIONS)
    if (!codes.includes(code))
      issues.push({
        path: 'body.forms.dispositions',
        code: 'required',
        message: `"${code}" is acted on by Switchboard: keep it (its label may change)`,
      });
  for (const [i, code] of codes.entries())
    if (codes.indexOf(code) !== i)
      issues.push({ path: 'body.forms.dispositions', code: 'duplicate', message: `"${code}" is listed twice` });
  const ids = parsed.data.forms.map((f) => f.id);
  for (const [i, id] of ids.entries())
    if (ids.indexOf(id) !== i) issues.push({ path: 'body.forms.forms', code: 'duplicate', message: `form "${id}" is listed twice` });
  if (issues.length > 0) throw new AppError('validation_failed', 'The intake forms were not saved.', { issues });
  return parsed.data;
}

export class IntakeFormsConfig {
  private readonly versions_: ConfigVersions<IntakeForms>;

  constructor(deps: { db: Db; log?: (event: string, details: Record<string, unknown>) => void }) {
    this.versions_ = new ConfigVersions<IntakeForms>({
      db: deps.db,
      kind: 'intake_forms',
      describe: () => 'intake forms',
      shipped: new Map([[KEY, intakeForms({ shipped: true })]]),
      check: (_key, raw) => checkIntakeForms(raw),
      use: (_key, forms) => useIntakeForms(forms),
      ...(deps.log ? { log: deps.log } : {}),
    });
  }

  refresh(): Promise<void> {
    return this.versions_.refresh();
  }

  async current(ctx: RequestContext): Promise<{ version: number; changedAt: string | null; changedBy: string | null }> {
    const [only] = await this.versions_.list(ctx);
    return { version: only?.version ?? 0, changedAt: only?.changedAt ?? null, changedBy: only?.changedBy ?? null };
  }

  versions(ctx: RequestContext): Promise<ConfigVersion[]> {
    return this.versions_.versions(ctx, KEY);
  }

  version(ctx: RequestContext, version: number): Promise<unknown> {
    return this.versions_.version(ctx, KEY, version);
  }

  save(ctx: RequestContext, raw: unknown, note: string): Promise<number> {
    return this.versions_.save(ctx, KEY, raw, note);
  }

  rollback(ctx: RequestContext, to: number, note: string): Promise<number> {
    return this.versions_.rollback(ctx, KEY, to, note);
  }

  diff(ctx: RequestContext, from: number, to: number): Promise<string> {
    return this.versions_.diff(ctx, KEY, from, to);
  }
}
