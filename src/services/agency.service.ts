import { AppError, type FieldIssue } from '../domain/errors/app-error.js';
import { type AgencyInput, type CheckedAgency, CSV_COLUMNS, checkAgency } from '../domain/partner/agency-rules.js';
import type { Db } from '../storage/database.js';
import {
  type AgencyFilter,
  findAgencyByOri,
  findAgencyOri,
  registeredOris,
  searchAgencies,
  upsertAgency,
} from '../storage/repositories/agency.repository.js';
import type { AgencyRow } from '../storage/repositories/partner-submission.repository.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { type CsvFile, readCsv } from './csv-reader.js';

/** An agency as stored (what presenters turn into the API's view). */
export type { AgencyRow };

/**
 * The agency registry: partner agencies and their 287(g) agreements. Admins
 * add and change agencies one at a time or import a CSV file, which is checked
 * row by row: good rows are saved (added or updated by ORI), bad rows are
 * reported with their problems, and nothing half-written is left either way.
 */

const row = (a: CheckedAgency, now: Date) => ({
  ori: a.ori,
  name: a.name,
  type: a.type,
  state: a.state,
  county: a.county,
  agreement_model: a.agreement_model,
  agreement_status: a.agreement_status,
  agreement_effective: a.agreement_effective,
  agreement_end: a.agreement_end,
  contacts: JSON.stringify(a.contacts),
  updated_at: now,
});

async function upsert(db: Db, agencies: CheckedAgency[], now: Date): Promise<{ added: string[]; updated: string[] }> {
  const existing = await registeredOris(
    db,
    agencies.map((a) => a.ori),
  );
  for (const a of agencies) await upsertAgency(db, row(a, now));
  return {
    added: agencies.filter((a) => !existing.has(a.ori)).map((a) => a.ori),
    updated: agencies.filter((a) => existing.has(a.ori)).map((a) => a.ori),
  };
}

export async function saveAgency(db: Db, ctx: RequestContext, input: AgencyInput, mode: 'add' | 'update'): Promise<CheckedAgency> {
  const checked = checkAgency(input, 'body');
  if ('issues' in checked) {
    throw new AppError('validation_failed', `The agency was not saved: ${checked.issues.length} field(s) are invalid.`, {
      issues: checked.issues,
    });
  }
  return db.transaction().execute(async (trx) => {
    const known = await findAgencyOri(trx, checked.agency.ori);
    if (mode === 'add' && known) throw new AppError('conflict', `An agency with the ORI ${checked.agency.ori} is already registered.`);
    if (mode === 'update' && !known) throw new AppError('not_found', `No agency has the ORI ${checked.agency.ori}.`);
    await upsert(trx, [checked.agency], ctx.now);
    await appendAudit(trx, ctx, {
      action: mode === 'add' ? 'agency.add' : 'agency.update',
      outcome: 'allowed',
      resourceType: 'agency',
      resourceId: checked.agency.ori,
      details: { agreement: { model: checked.agency.agreement_model, status: checked.agency.agreement_status } },
    });
    return checked.agency;
  });
}

export type ImportReport = {
  rows: { row: number; ori: string | null; result: 'added' | 'updated' | 'error'; issues: FieldIssue[] }[];
  added: number;
  updated: number;
  errors: number;
};

/** Agencies one import may add or change. */
export const MAX_AGENCY_IMPORT_ROWS = 5_000;

/**
 * Imports agencies from CSV with a header row (columns: CSV_COLUMNS): a file read as it arrived (the HTTP body), or
 * its text (the command line). Good rows are saved; every bad row is reported.
 */
export async function importAgencies(db: Db, ctx: RequestContext, input: string | CsvFile): Promise<ImportReport> {
  const file =
    typeof input === 'string'
      ? await readCsv(input, { maxBytes: Number.POSITIVE_INFINITY, keepRecords: MAX_AGENCY_IMPORT_ROWS + 1 })
      : input;
  const [header, ...lines] = file.records;
  const columns = (header ?? []).map((h) => h.trim().toLowerCase());
  const columnAt = new Map<string, number>();
  columns.forEach((c, i) => {
    if (!columnAt.has(c)) columnAt.set(c, i);
  });
  const missing = CSV_COLUMNS.filter(
    (c) => !['county', 'agreement_end', 'contact_name', 'contact_email', 'contact_phone'].includes(c) && !columnAt.has(c),
  );
  if (!header || missing.length > 0) {
    throw new AppError('validation_failed', `The CSV needs a header row with the columns ${CSV_COLUMNS.join(', ')}.`, {
      issues: missing.map((m) => ({ path: `header.${m}`, code: 'missing_column', message: `no ${m} column` })),
    });
  }
  if (file.recordCount - 1 > MAX_AGENCY_IMPORT_ROWS)
    throw new AppError('payload_too_large', `Import at most ${MAX_AGENCY_IMPORT_ROWS.toLocaleString('en-US')} agencies at a time.`);
  const report: ImportReport = { rows: [], added: 0, updated: 0, errors: 0 };
  const good: { line: number; agency: CheckedAgency }[] = [];
  const seen = new Set<string>();
  lines.forEach((fields, i) => {
    const at = (name: string) => fields[columnAt.get(name) ?? -1]?.trim() ?? '';
    const line = i + 2;
    const contact = at('contact_name');
    const checked = checkAgency(
      {
        ori: at('ori'),
        name: at('name'),
        type: at('type'),
        county: at('county') || undefined,
        agreementModel: at('agreement_model'),
        agreementStatus: at('agreement_status'),
        agreementEffective: at('agreement_effective'),
        agreementEnd: at('agreement_end') || undefined,
        contacts: contact ? [{ name: contact, email: at('contact_email') || undefined, phone: at('contact_phone') || undefined }] : [],
      },
      `row${line}`,
    );
    if ('issues' in checked) {
      report.rows.push({ row: line, ori: at('ori') || null, result: 'error', issues: checked.issues });
      report.errors += 1;
    } else if (seen.has(checked.agency.ori)) {
      report.rows.push({
        row: line,
        ori: checked.agency.ori,
        result: 'error',
        issues: [{ path: `row${line}.ori`, code: 'duplicate_in_file', message: 'this ORI is on an earlier row' }],
      });
      report.errors += 1;
    } else {
      seen.add(checked.agency.ori);
      good.push({ line, agency: checked.agency });
    }
  });
  await db.transaction().execute(async (trx) => {
    const { added, updated } = await upsert(
      trx,
      good.map((g) => g.agency),
      ctx.now,
    );
    for (const g of good)
      report.rows.push({ row: g.line, ori: g.agency.ori, result: added.includes(g.agency.ori) ? 'added' : 'updated', issues: [] });
    report.added = added.length;
    report.updated = updated.length;
    await appendAudit(trx, ctx, {
      action: 'agency.import',
      outcome: 'allowed',
      resourceType: 'agency',
      details: { added: report.added, updated: report.updated, errors: report.errors },
    });
  });
  report.rows.sort((a, b) => a.row - b.row);
  return report;
}

export function listAgencies(db: Db, filter: AgencyFilter, limit: number) {
  return searchAgencies(db, filter, limit);
}

/** One agency's profile, for the partner client of that agency (access already checked by the caller); audited. */
export async function readAgency(db: Db, ctx: RequestContext, ori: string) {
  return db.transaction().execute(async (trx) => {
    const agency = await findAgencyByOri(trx, ori);
    if (!agency) throw new AppError('not_found', `No agency has the ORI ${ori}.`);
    await appendAudit(trx, ctx, { action: 'agency.read', outcome: 'allowed', resourceType: 'agency', resourceId: ori });
    return agency;
  });
}
