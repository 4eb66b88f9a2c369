import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobPath } from '../../src/services/attachment.service.js';
import { runRetention } from '../../src/services/retention.service.js';
import { buildTestApp, enrollAs, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { tip } from '../support/intake.js';

/**
 * The call records' retention schedule (issue #19): call records and their finished callbacks after
 * call_record_retention_days (365), voicemail audio and recordings after voicemail_ and recording_retention_days (90) — except the UAC unit's,
 * anything that led to a case under legal hold, calls whose voicemail is still kept, and callbacks still owed.
 */

let db: TestDatabase;
let t: TestApp;
let callTaker: SignedIn;
let reviewer: SignedIn;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  callTaker = await enrollAs(t, 'call_taker');
  reviewer = await enrollAs(t, 'legal_reviewer');
});
afterAll(async () => {
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

const daysAgo = (n: number) => new Date(t.clock.now.getTime() - n * 86_400_000);
let serial = 0;
async function call(o: { endedDaysAgo: number; unit?: 'general' | 'uac'; taskId?: string }): Promise<string> {
  serial += 1;
  const row = await db.db
    .insertInto('calls')
    .values({
      adapter: 'simulator',
      external_id: `sim-retention-${serial}`,
      node: 'test',
      line: '+16155550100',
      unit: o.unit ?? 'general',
      caller_number: `+1615555${String(1000 + serial).slice(-4)}`,
      arrived_at: daysAgo(o.endedDaysAgo),
      ended_at: daysAgo(o.endedDaysAgo),
      end_reason: 'completed',
      ...(o.taskId ? { task_id: o.taskId } : {}),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
async function voicemail(callId: string, daysOld: number, taskId: string, hashEnd: string): Promise<string> {
  const sha256 = `${'ab'.repeat(31)}${hashEnd}`;
  const file = blobPath(t.attachmentsDir, sha256);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, 'RIFF audio');
  await db.db
    .insertInto('voicemails')
    .values({
      call_id: callId,
      line: '+16155550100',
      unit: 'general',
      language: 'en',
      sha256,
      size_bytes: 10,
      duration_ms: 1000,
      task_id: taskId,
      status: 'worked',
      created_at: daysAgo(daysOld),
    })
    .execute();
  return file;
}
const exists = async (id: string) => (await db.db.selectFrom('calls').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;

describe('call records, voicemails and callbacks under retention', () => {
  it('are purged after their days, except the UAC unit’s, those tied to a case under legal hold, and callbacks still owed', async () => {
    // A case under legal hold, which one old call and one old voicemail led to (through their dispositions).
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/intake', headers: callTaker.headers, payload: tip() });
    expect(res.statusCode, res.body).toBe(201);
    const held = res.json().case.id as string;
    const hold = await t.app.inject({
      method: 'POST',
      url: `/api/v1/cases/${held}/legal-hold`,
      headers: reviewer.headers,
      payload: { reason: 'Litigation hold in a civil suit' },
    });
    expect(hold.statusCode, hold.body).toBe(200);
    for (const task of ['task-held-call', 'task-held-vm'])
      await db.db
        .insertInto('contact_dispositions')
        .values({
          task_id: task,
          user_id: callTaker.userId,
          queue_id: 'public_line',
          channel: 'voice',
          caller_number: null,
          disposition: 'report_taken',
          notes: null,
          case_id: held,
          report_id: null,
          created_at: daysAgo(400),
        })
        .execute();

    const old = await call({ endedDaysAgo: 400 });
    const heldCall = await call({ endedDaysAgo: 400, taskId: 'task-held-call' });
    const child = await call({ endedDaysAgo: 400, unit: 'uac' });
    const recent = await call({ endedDaysAgo: 10 });
    const owed = await call({ endedDaysAgo: 400 });
    const withOldVoicemail = await call({ endedDaysAgo: 100 });
    const withHeldVoicemail = await call({ endedDaysAgo: 100 });
    const goneAudio = await voicemail(withOldVoicemail, 100, 'task-vm-old', '01');
    const keptAudio = await voicemail(withHeldVoicemail, 100, 'task-held-vm', '02');
    const callback = (callId: string, status: 'completed' | 'scheduled') =>
      db.db
        .insertInto('callbacks')
        .values({
          call_id: callId,
          number: '+16155550111',
          line: '+16155550100',
          unit: 'general',
          language: 'en',
          origin: 'ivr',
          status,
          max_attempts: 3,
          created_at: daysAgo(400),
          updated_at: daysAgo(400),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
    // A recording 100 days old (past its 90 days) of a call otherwise kept (365).
    const recorded = await call({ endedDaysAgo: 100 });
    const recordingFile = blobPath(t.attachmentsDir, `${'cd'.repeat(32)}`);
    mkdirSync(path.dirname(recordingFile), { recursive: true });
    writeFileSync(recordingFile, 'RIFF mixed');
    await db.db
      .insertInto('recordings')
      .values({
        call_id: recorded,
        unit: 'general',
        sha256: 'cd'.repeat(32),
        size_bytes: 10,
        duration_ms: 1000,
        streams: 2,
        created_at: daysAgo(100),
      })
      .execute();
    const done = await callback(old, 'completed');
    const stillOwed = await callback(owed, 'scheduled');

    const ctx = { actor: null, system: 'test.retention', sourceIp: null, requestId: null, now: t.clock.now, timeZone: 'America/Chicago' };
    const dry = await runRetention(db.db, ctx, { dryRun: true, attachmentsDir: t.attachmentsDir });
    expect(dry.counts).toMatchObject({ calls: 1, voicemails: 1, recordings: 1, callbacks: 1 });
    expect(dry.calls.retentionDays).toBe(365);
    expect(dry.voicemails.retentionDays).toBe(90);
    expect(await exists(old)).toBe(true);
    expect(existsSync(goneAudio)).toBe(true);

    const real = await runRetention(db.db, ctx, { dryRun: false, attachmentsDir: t.attachmentsDir });
    expect(real.counts).toMatchObject({ calls: 1, voicemails: 1, recordings: 1, callbacks: 1 });
    expect(existsSync(recordingFile)).toBe(false);
    expect(await exists(recorded)).toBe(true);
    expect(await exists(old)).toBe(false);
    for (const kept of [heldCall, child, recent, owed, withOldVoicemail, withHeldVoicemail]) expect(await exists(kept)).toBe(true);
    expect(existsSync(goneAudio)).toBe(false);
    expect(existsSync(keptAudio)).toBe(true);
    const callbacks = await db.db.selectFrom('callbacks').select('id').execute();
    expect(callbacks.map((c) => c.id)).toEqual([stillOwed.id]);
    expect(callbacks.map((c) => c.id)).not.toContain(done.id);
    const audit = await db.db.selectFrom('audit_events').select(['action', 'details']).where('action', '=', 'retention.purge').execute();
    expect(audit.at(-1)?.details).toMatchObject({ counts: { calls: 1, voicemails: 1, recordings: 1, callbacks: 1 } });
    expect(JSON.stringify(audit)).not.toContain('+1615555');
  });
});
