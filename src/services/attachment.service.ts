import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { type Actor, staffOnly } from '../domain/access/access-control.js';
import { mayReadUnit } from '../domain/cases/case-workflow.js';
import { AppError } from '../domain/errors/app-error.js';
import type { Db } from '../storage/database.js';
import type { AttachmentRow } from '../storage/repositories/attachment.repository.js';
import * as attachments from '../storage/repositories/attachment.repository.js';
import { addCaseEvent } from '../storage/repositories/case.repository.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { withCase } from './case.service.js';

/**
 * Attachments are stored by content: the file's SHA-256 names it on disk, so
 * the same photo attached twice is stored once and a stored file cannot be
 * swapped without its name changing. The type is read from the content (not
 * from what the client claims) and must be one we accept. The file is on disk
 * and fsynced before its row commits; a row never points at nothing. A
 * virus scanner plugs in through `AttachmentScanner`.
 */

type ActorCtx = RequestContext & { actor: Actor };

export type { AttachmentRow };

export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

export interface AttachmentScanner {
  readonly name: string;
  scan(content: Buffer): Promise<'clean' | 'infected'>;
}

export type AttachmentDeps = { db: Db; dir: string; scanner?: AttachmentScanner | undefined };

/** The media type of content we accept, from its first bytes; undefined for anything else. */
export function sniffMediaType(content: Buffer): string | undefined {
  const starts = (...bytes: number[]) => bytes.every((b, i) => content[i] === b);
  if (starts(0x25, 0x50, 0x44, 0x46, 0x2d)) return 'application/pdf';
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (content.subarray(0, 4).toString('latin1') === 'RIFF' && content.subarray(8, 12).toString('latin1') === 'WAVE') return 'audio/wav';
  if (starts(0x49, 0x44, 0x33) || starts(0xff, 0xfb)) return 'audio/mpeg';
  // Plain text: valid UTF-8 with no control characters other than tab and line breaks.
  const text = new TextDecoder('utf-8', { fatal: false }).decode(content);
  const control = [...content.subarray(0, 65_536)].some((b) => b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
  if (!text.includes('\uFFFD') && !control) return 'text/plain';
  return undefined;
}

export const blobPath = (dir: string, sha256: string) => path.join(dir, 'sha256', sha256.slice(0, 2), sha256);

/** Stores content under its SHA-256 (written, synced, renamed into place; the same content twice is stored once). */
export async function storeBlob(dir: string, sha256: string, content: Buffer): Promise<void> {
  const target = blobPath(dir, sha256);
  const exists = await stat(target).then(
    (s) => s.size === content.length,
    () => false,
  );
  if (exists) return;
  await mkdir(path.dirname(target), { recursive: true });
  const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, target).catch(async (error) => {
    await rm(temp, { force: true });
    throw error;
  });
  const folder = await open(path.dirname(target), 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

/** Stored content by its SHA-256, checked against it: a file changed on disk is an error, never served. */
export async function readBlob(dir: string, sha256: string, what: string): Promise<Buffer> {
  const content = await readFile(blobPath(dir, sha256));
  if (createHash('sha256').update(content).digest('hex') !== sha256) throw new Error(`${what}: stored content does not match its hash`);
  return content;
}

export async function addAttachment(
  deps: AttachmentDeps,
  ctx: ActorCtx,
  caseId: string,
  input: { filename: string; reportId?: string | undefined; content: Buffer },
): Promise<AttachmentRow> {
  const actorId = staffOnly(ctx.actor, 'Only staff attach files.').userId;
  if (input.content.length === 0)
    throw new AppError('validation_failed', 'The file is empty.', {
      issues: [{ path: 'body', code: 'empty', message: 'send the file as the body' }],
    });
  if (input.content.length > MAX_ATTACHMENT_BYTES)
    throw new AppError('payload_too_large', `Attachments are at most ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB.`);
  const mediaType = sniffMediaType(input.content);
  if (!mediaType) {
    throw new AppError('unsupported_media_type', 'This kind of file is not accepted: attach PDF, PNG, JPEG, WAV, MP3 or plain text.');
  }
  const scanned = deps.scanner ? await deps.scanner.scan(input.content) : undefined;
  if (scanned === 'infected') {
    throw new AppError('unprocessable', 'The virus scanner refused this file; it was not stored.');
  }
  const sha256 = createHash('sha256').update(input.content).digest('hex');
  return withCase(deps.db, ctx, caseId, 'attachment.add', async (trx) => {
    if (input.reportId) {
      if (!(await attachments.reportIsOnCase(trx, caseId, input.reportId))) {
        throw new AppError('validation_failed', 'That report is not on this case.', {
          issues: [{ path: 'query.reportId', code: 'unknown_report', message: 'not a report of this case' }],
        });
      }
    }
    await storeBlob(deps.dir, sha256, input.content);
    const row = await attachments.insertAttachment(trx, {
      case_id: caseId,
      report_id: input.reportId ?? null,
      sha256,
      size_bytes: input.content.length,
      media_type: mediaType,
      filename: input.filename,
      scan_status: scanned ?? 'not_scanned',
      scanner: deps.scanner?.name ?? null,
      created_by: actorId,
      created_at: ctx.now,
    });
    await addCaseEvent(trx, {
      caseId,
      at: ctx.now,
      actorId,
      kind: 'attachment_added',
      details: { attachmentId: row.id, mediaType, sizeBytes: row.size_bytes },
    });
    await appendAudit(trx, ctx, {
      action: 'attachment.add',
      outcome: 'allowed',
      resourceType: 'attachment',
      resourceId: row.id,
      details: { caseId, sha256 },
    });
    return row;
  });
}

/** The file, checked against its hash on the way out: a changed file on disk is an error, not a download. */
export async function readAttachment(
  deps: AttachmentDeps,
  ctx: ActorCtx,
  attachmentId: string,
): Promise<{ row: AttachmentRow; content: Buffer }> {
  const row = await attachments.findAttachment(deps.db, attachmentId);
  const missing = () => new AppError('not_found', 'There is no such attachment.');
  if (!row) throw missing();
  const kase = await attachments.findCaseUnit(deps.db, row.case_id);
  // An attachment of a case the viewer may not know of is answered exactly like a missing one (withCase audits it).
  if (!kase || !mayReadUnit(ctx.actor, kase.unit)) {
    await withCase(deps.db, ctx, row.case_id, 'attachment.read', async () => undefined).catch(() => undefined);
    throw missing();
  }
  return withCase(deps.db, ctx, row.case_id, 'attachment.read', async (trx) => {
    const content = await readBlob(deps.dir, row.sha256, `attachment ${row.id}`);
    await appendAudit(trx, ctx, {
      action: 'attachment.read',
      outcome: 'allowed',
      resourceType: 'attachment',
      resourceId: row.id,
      details: { caseId: row.case_id },
    });
    return { row, content };
  });
}
