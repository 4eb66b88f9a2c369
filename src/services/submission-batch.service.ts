import { ZSubmission } from '../contracts/partner.js';
import { type CenterClock, centerToday } from '../domain/calendar/calendar-day.js';
import { AppError } from '../domain/errors/app-error.js';
import {
  checkCsvHeader,
  columnOf,
  errorReportCsv,
  MAX_CSV_ROWS,
  type RowError,
  rowToSubmission,
} from '../domain/partner/submission-csv.js';
import { agreementInForce, agreementOf, checkAgreement } from '../domain/partner/submission-rules.js';
import type { Db } from '../storage/database.js';
import { findAgency } from '../storage/repositories/partner-submission.repository.js';
import * as batches from '../storage/repositories/submission-batch.repository.js';
import type { RequestContext } from './audit.service.js';
import { appendAudit } from './audit.service.js';
import { type CsvFile, readCsv } from './csv-reader.js';
import { bodyHash, type PartnerActor } from './partner-submission.service.js';

/**
 * Bulk uploads: the CSV is stored whole, then acknowledged (202) — a crash
 * after the 202 loses nothing. A background job splits it, in one
 * transaction, into one submission per valid row (processed like any other)
 * and a list of the rows it refused, with their reasons. Progress, the
 * per-row results and the error report are read from those rows.
 */

type Ctx = RequestContext & { actor: PartnerActor };
type BatchRow = batches.BatchRow;

export type BatchAck = { id: string; status: string; rows: number; receivedAt: string; replayed: boolean };

function refuse(message: string, issues: { path: string; code: string; message: string }[]): never {
  throw new AppError('validation_failed', message, { issues });
}

export async function receiveBatch(
  db: Db,
  ctx: Ctx,
  file: CsvFile,
  filename: string | undefined,
  idempotencyKey: string | undefined,
): Promise<BatchAck> {
  const ori = ctx.actor.agencyOri;
  const header = file.records[0];
  if (!header)
    refuse('The file is empty: send a header row and at least one report.', [{ path: 'body', code: 'empty', message: 'no rows' }]);
  const headerIssues = checkCsvHeader(header);
  if (headerIssues.length > 0) refuse(`The header row is not right: ${headerIssues.length} problem(s); no row was read.`, headerIssues);
  const count = file.recordCount - 1;
  if (count === 0)
    refuse('The file has a header but no reports.', [{ path: 'body', code: 'no_rows', message: 'no rows after the header' }]);
  if (count > MAX_CSV_ROWS)
    refuse(`The file has ${count} rows; split it into files of at most ${MAX_CSV_ROWS}.`, [
      { path: 'body', code: 'too_many_rows', message: `at most ${MAX_CSV_ROWS} rows per file` },
    ]);
  const hash = bodyHash(file.text);
  return db.transaction().execute(async (trx) => {
    const agency = await findAgency(trx, ori);
    if (!agency) throw new AppError('forbidden', 'Your agency is not registered.');
    // Each row's own type is checked against the agreement's scope when the file is split.
    const inForce = agreementInForce(agreementOf(agency), centerToday(ctx));
    if (!inForce.ok)
      throw new AppError('forbidden', `Not accepted: ${inForce.message}.`, {
        issues: [{ path: 'body', code: inForce.code, message: inForce.message }],
      });
    const earlier = async () => {
      if (!idempotencyKey) return undefined;
      const found = await batches.findBatchByKey(trx, ori, idempotencyKey);
      if (found && found.body_hash !== hash)
        throw new AppError('conflict', 'This Idempotency-Key was used with a different file: use a new key for a new upload.');
      return found && { id: found.id, status: found.status, rows: count, receivedAt: found.received_at.toISOString(), replayed: true };
    };
    const replay = await earlier();
    if (replay) return replay;
    // The same key sent twice at once: the second insert waits for the first to commit, then does nothing and
    // answers as the first did (a unique violation here was a 500).
    const batch = await batches.insertBatch(trx, {
      agency_ori: ori,
      client_id: ctx.actor.kind === 'client' ? ctx.actor.clientId : null,
      submitted_by: ctx.actor.kind === 'user' ? ctx.actor.userId : null,
      filename: filename ?? null,
      idempotency_key: idempotencyKey ?? null,
      body_hash: hash,
      content: file.text,
      status: 'received',
      received_at: ctx.now,
    });
    if (!batch) {
      const first = await earlier();
      if (!first) throw new Error('submission batch: an idempotency conflict without the earlier upload');
      return first;
    }
    await appendAudit(trx, ctx, {
      action: 'submission_batch.receive',
      outcome: 'allowed',
      resourceType: 'submission_batch',
      resourceId: batch.id,
      details: { rows: count },
    });
    return { id: batch.id, status: 'received', rows: count, receivedAt: batch.received_at.toISOString(), replayed: false };
  });
}

/** A claim older than this belongs to a job that died. */
const BATCH_LEASE_MS = 120_000;
/** Tries at splitting one upload before it is marked failed. */
const MAX_SPLIT_ATTEMPTS = 5;

/**
 * Splits waiting uploads into submissions. Each upload is split in one
 * transaction — its submissions, its refused rows and its status together —
 * so a crash halfway leaves it waiting, never half split.
 */
export async function splitBatches(db: Db, now: Date, timeZone: string, limit = 2): Promise<number> {
  // Uploads that failed to split five times are marked failed, so the partner sees it instead of waiting forever.
  const staleBefore = new Date(now.getTime() - BATCH_LEASE_MS);
  await batches.failExhaustedBatches(db, staleBefore, MAX_SPLIT_ATTEMPTS);
  const claimed = await db.transaction().execute((trx) => batches.claimBatches(trx, now, staleBefore, MAX_SPLIT_ATTEMPTS, limit));
  // One upload's failure does not hold up the others (it is tried again after its lease).
  for (const batch of claimed) await splitOne(db, batch, { now, timeZone }).catch(() => undefined);
  return claimed.length;
}

async function splitOne(db: Db, batch: BatchRow, clock: CenterClock): Promise<void> {
  const now = clock.now;
  const file = await readCsv(batch.content, { maxBytes: Number.POSITIVE_INFINITY, keepRecords: MAX_CSV_ROWS + 1 });
  const [header = [], ...records] = file.records;
  const errors: RowError[] = [];
  await db.transaction().execute(async (trx) => {
    const agency = await findAgency(trx, batch.agency_ori);
    if (!agency) throw new Error(`submission batch: agency ${batch.agency_ori} is gone`);
    const agreement = agreementOf(agency);
    const values = [];
    for (const [i, record] of records.entries()) {
      const row = i + 2; // the header is row 1
      if (record.length > header.length) {
        errors.push({ row, column: '', code: 'too_many_fields', message: `${record.length} fields, but the header has ${header.length}` });
        continue;
      }
      const raw = rowToSubmission(header, record);
      const parsed = ZSubmission.safeParse(raw);
      if (!parsed.success) {
        for (const issue of parsed.error.issues)
          errors.push({ row, column: columnOf(issue.path.join('.')), code: issue.code, message: issue.message });
        continue;
      }
      const s = parsed.data;
      const check = checkAgreement(agreement, s.type, centerToday(clock));
      if (!check.ok) {
        errors.push({ row, column: 'type', code: check.code, message: check.message });
        continue;
      }
      if (Date.parse(s.occurredAt) > now.getTime() + 5 * 60_000) {
        errors.push({ row, column: 'occurred_at', code: 'in_future', message: 'cannot be in the future' });
        continue;
      }
      values.push({
        agency_ori: batch.agency_ori,
        client_id: batch.client_id,
        submitted_by: batch.submitted_by,
        type: s.type,
        idempotency_key: null,
        body_hash: bodyHash(raw),
        payload: JSON.stringify(s),
        status: 'received' as const,
        received_at: batch.received_at,
        batch_id: batch.id,
        batch_row: row,
      });
    }
    await batches.insertBatchSubmissions(trx, values);
    await batches.markBatchSplit(trx, batch.id, { totalRows: records.length, rowErrors: JSON.stringify(errors), splitAt: now });
    await appendAudit(
      trx,
      { actor: null, system: 'partner.batch', sourceIp: null, requestId: null, now, timeZone: clock.timeZone },
      {
        action: 'submission_batch.split',
        outcome: 'allowed',
        resourceType: 'submission_batch',
        resourceId: batch.id,
        details: { rows: records.length, submissions: values.length, refused: new Set(errors.map((e) => e.row)).size },
      },
    );
  });
}

async function ownBatch(db: Db, ctx: Ctx, id: string, action: string): Promise<BatchRow> {
  const row = await db.transaction().execute(async (trx) => {
    const found = await batches.findBatch(trx, id);
    const mine = found !== undefined && found.agency_ori === ctx.actor.agencyOri;
    await appendAudit(trx, ctx, {
      action,
      outcome: mine ? 'allowed' : found ? 'denied' : 'error',
      resourceType: 'submission_batch',
      resourceId: id,
    });
    return mine ? found : undefined;
  });
  if (!row) throw new AppError('not_found', 'There is no such upload of your agency.');
  return row;
}

export type BatchProgress = {
  id: string;
  filename: string | null;
  status: 'received' | 'splitting' | 'split' | 'failed';
  receivedAt: string;
  totalRows: number | null;
  refusedRows: number;
  submissions: { received: number; processing: number; accepted: number; rejected: number };
  done: boolean;
};

async function progressOf(db: Db, batch: BatchRow): Promise<BatchProgress> {
  const counts = await batches.countBatchSubmissions(db, batch.id);
  const submissions = { received: 0, processing: 0, accepted: 0, rejected: 0 };
  for (const c of counts) submissions[c.status] = Number(c.n);
  const refusedRows = new Set((batch.row_errors as RowError[]).map((e) => e.row)).size;
  return {
    id: batch.id,
    filename: batch.filename,
    status: batch.status,
    receivedAt: batch.received_at.toISOString(),
    totalRows: batch.total_rows,
    refusedRows,
    submissions,
    done: batch.status === 'split' && submissions.received + submissions.processing === 0,
  };
}

export async function readBatch(db: Db, ctx: Ctx, id: string): Promise<BatchProgress> {
  return progressOf(db, await ownBatch(db, ctx, id, 'submission_batch.read'));
}

export async function listBatches(db: Db, ctx: Ctx, limit: number): Promise<BatchProgress[]> {
  const rows = await batches.listAgencyBatches(db, ctx.actor.agencyOri, limit);
  return Promise.all(rows.map((r) => progressOf(db, r)));
}

export type BatchRowResult = {
  row: number;
  result: 'refused' | 'received' | 'processing' | 'accepted' | 'rejected';
  submissionId: string | null;
  reference: string | null;
  issues: { column: string; code: string; message: string }[];
};

/** Every row's result, in row order: refused at validation, or the submission it became and where that is. */
export async function batchRows(db: Db, ctx: Ctx, id: string): Promise<BatchRowResult[]> {
  const batch = await ownBatch(db, ctx, id, 'submission_batch.rows');
  const subs = await batches.batchSubmissions(db, batch.id);
  const refused = new Map<number, BatchRowResult>();
  for (const e of batch.row_errors as RowError[]) {
    const r = refused.get(e.row) ?? { row: e.row, result: 'refused' as const, submissionId: null, reference: null, issues: [] };
    r.issues.push({ column: e.column, code: e.code, message: e.message });
    refused.set(e.row, r);
  }
  const results: BatchRowResult[] = [
    ...refused.values(),
    ...subs.map((s) => ({
      row: s.batch_row ?? 0,
      result: s.status,
      submissionId: s.id,
      reference: s.reference,
      issues: ((s.reasons as { path: string; code: string; message: string }[] | null) ?? []).map((r) => ({
        column: columnOf(r.path),
        code: r.code,
        message: r.message,
      })),
    })),
  ];
  return results.sort((a, b) => a.row - b.row);
}

/** The error report: every refused row and every row whose submission was rejected in processing, as CSV. */
export async function batchErrorReport(db: Db, ctx: Ctx, id: string): Promise<string> {
  const rows = await batchRows(db, ctx, id);
  return errorReportCsv(
    rows
      .filter((r) => r.result === 'refused' || r.result === 'rejected')
      .flatMap((r) => r.issues.map((i) => ({ row: r.row, column: i.column, code: i.code, message: i.message }))),
  );
}
