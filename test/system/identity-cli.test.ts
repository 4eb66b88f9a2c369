import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZChallenge } from '../../src/contracts/identity.js';
import { runningEmbeddedConnectionString } from '../../src/storage/embedded-postgres.js';
import { assertBuilt, baseEnv, CLI, freePort, type Running, run, stopLeftovers, waitReady } from '../support/processes.js';

/** The identity and audit commands against a running Switchboard on its embedded database. */
describe('identity and audit commands', () => {
  let dataDir: string;
  let port: number;
  let server: Running;
  const started: Running[] = [];
  const cli = async (args: string[]) => {
    const running = run(CLI, args, baseEnv({ SWITCHBOARD_DATA_DIR: dataDir, PORT: String(port) }));
    started.push(running);
    const { code } = await running.exited;
    return { code, stdout: running.stdout(), stderr: running.stderr() };
  };
  const api = (url: string, init: RequestInit = {}) => fetch(`http://127.0.0.1:${port}${url}`, init);

  beforeAll(async () => {
    assertBuilt();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-identity-'));
    port = await freePort();
    server = run(
      CLI,
      ['start'],
      baseEnv({
        SWITCHBOARD_DATA_DIR: dataDir,
        PORT: String(port),
        AUDIT_HEAD_FILE: path.join(dataDir, 'audit-heads.jsonl'),
        AUDIT_HEAD_PUBLISH_MS: '1000',
      }),
    );
    started.push(server);
    await waitReady(port, server);
  }, 120_000);
  afterAll(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
    await stopLeftovers(dataDir, started);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('demo codes let a newcomer sign in as a demo user without a phone', async () => {
    const password = /demo\.supervisor\s+(\S+)/.exec(server.stdout())?.[1] ?? '';
    expect(password).toMatch(/^\S{23}$/);
    const signInResponse = await api('/api/v1/auth/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'demo.supervisor', password }),
    });
    const challenge = ZChallenge.parse(await signInResponse.json());
    expect(challenge.next).toBe('totp');
    const codes = await cli(['demo', 'codes']);
    expect(codes.code).toBe(0);
    const code = /demo\.supervisor\s+(\d{6})/.exec(codes.stdout)?.[1];
    expect(codes.stdout.match(/^demo\.\S+\s+\d{6}$/gm)).toHaveLength(9);
    const signedIn = await api('/api/v1/auth/second-factor', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ challengeToken: challenge.challengeToken, code }),
    });
    expect(signedIn.status).toBe(200);
    expect(signedIn.headers.get('set-cookie')).toMatch(/^sb_session=/);
  });

  it('user add prints a one-time enrollment link; client add --json prints the id and secret once', async () => {
    const user = await cli(['user', 'add', '--role', 'analyst', '--name', 'Pedro Ejemplo Cruz']);
    expect(user.code, user.stderr).toBe(0);
    expect(user.stdout).toMatch(/added pedro\.ejemplo\.cruz \(analyst\)/);
    expect(user.stdout).toMatch(new RegExp(`http://127\\.0\\.0\\.1:${port}/enroll#token=[A-Za-z0-9_-]{43}`));
    const client = await cli(['client', 'add', '--agency', 'TX1430300', '--json']);
    expect(client.code, client.stderr).toBe(0);
    const created = JSON.parse(client.stdout);
    expect(created).toEqual({ clientId: expect.stringMatching(/^pc_[a-z0-9]{20}$/), clientSecret: expect.stringMatching(/^pcs_/) });
    const token = await api('/api/partner/v1/oauth/token', {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${created.clientId}:${created.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    expect(token.status).toBe(200);
    const list = await cli(['client', 'list']);
    expect(list.stdout).toContain(created.clientId);
    expect(list.stdout).not.toContain(created.clientSecret);
    const bad = await cli(['user', 'add', '--role', 'wizard', '--name', 'X']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('wizard');
  });

  it('the operator hands out links, password resets too; with --outbox they go to the enrollment outbox, and the link works', async () => {
    const reset = await cli(['user', 'reset-password', 'pedro.ejemplo.cruz', '--json']);
    expect(reset.code, reset.stderr).toBe(0);
    expect(JSON.parse(reset.stdout)).toMatchObject({
      username: 'pedro.ejemplo.cruz',
      enrollmentUrl: expect.stringMatching(new RegExp(`^http://127\\.0\\.0\\.1:${port}/enroll#token=[A-Za-z0-9_-]{43}$`)),
    });
    const outboxed = await cli(['user', 'add', '--role', 'legal_reviewer', '--name', 'Irene Ejemplo', '--outbox']);
    expect(outboxed.code, outboxed.stderr).toBe(0);
    expect(outboxed.stdout).not.toMatch(/token=/);
    const outbox = path.join(dataDir, 'enrollment-outbox');
    const files = (await readdir(outbox)).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    const link = JSON.parse(await readFile(path.join(outbox, files[0] ?? ''), 'utf8'));
    expect(link).toMatchObject({
      username: 'irene.ejemplo',
      role: 'legal_reviewer',
      reason: 'new_account',
      requestedBy: expect.stringMatching(/^cli:/),
    });
    // The person follows the link: the running server takes it.
    const chosen = await api('/api/v1/auth/enrollment/password', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ enrollmentToken: String(link.url).split('#token=')[1], password: 'meadow-Copper-lantern-63' }),
    });
    expect(chosen.status).toBe(200);
    expect(ZChallenge.parse(await chosen.json()).next).toBe('enroll');
  });

  it('audit verify passes on the real activity (chain, signed heads, published heads), proves an event, and fails naming the row after one is tampered with', async () => {
    // The running server's sealer chains what the server and the commands before appended, and publishes its heads.
    const heads = path.join(dataDir, 'audit-heads.jsonl');
    await expect.poll(async () => (await readFile(heads, 'utf8').catch(() => '')).trim().length, { timeout: 15_000 }).toBeGreaterThan(0);
    const ok = await cli(['audit', 'verify', '--heads', heads]);
    expect(ok.code, ok.stderr).toBe(0);
    const count = Number(/intact: (\d+) events/.exec(ok.stdout)?.[1]);
    expect(count).toBeGreaterThan(5);
    expect(ok.stdout).toMatch(/[1-9]\d* signed batches/);
    expect(ok.stdout).toMatch(/published heads: [1-9]\d* checked, 0 do not match/);
    // One event's inclusion, as an outside auditor receives it: the event, its audit path and the signed head.
    const proved = await cli(['audit', 'prove', '2']);
    expect(proved.code, proved.stderr).toBe(0);
    const proof = JSON.parse(proved.stdout);
    expect(proof).toMatchObject({ event: { seq: 2 }, head: { firstSeq: expect.any(Number), signature: expect.any(String) } });
    // Any sequence number the log can reach is accepted (a far one is just not sealed yet); a non-number is refused.
    const far = await cli(['audit', 'prove', '123456789012']);
    expect(far.code).toBe(1);
    expect(far.stderr).toMatch(/event 123456789012 is not sealed/);
    const bad = await cli(['audit', 'prove', 'two']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/must be a sequence number/);
    const key = await cli(['audit', 'key']);
    expect(key.stdout).toContain('BEGIN PUBLIC KEY');
    expect(key.stdout).toContain(`key id ${proof.head.keyId}`);

    // The application's own role can neither change the log nor switch off its trigger...
    const app = new pg.Client({ connectionString: await runningEmbeddedConnectionString(dataDir, 'app') });
    await app.connect();
    try {
      await expect(app.query("UPDATE audit_chain SET outcome = 'allowed' WHERE seq = 2")).rejects.toThrow(/permission denied/);
      await expect(app.query('DELETE FROM audit_chain WHERE seq = 2')).rejects.toThrow(/permission denied/);
      await expect(app.query('DELETE FROM audit_inbox')).rejects.toThrow(/permission denied/);
      await expect(app.query('ALTER TABLE audit_chain DISABLE TRIGGER audit_events_no_update_delete')).rejects.toThrow(/must be owner/);
    } finally {
      await app.end();
    }
    // ...so only someone with the database superuser can rewrite a row; the chain still tells.
    const superuser = new pg.Client({ connectionString: await runningEmbeddedConnectionString(dataDir, 'superuser') });
    await superuser.connect();
    try {
      await superuser.query("SET session_replication_role = 'replica'");
      const changed = await superuser.query("UPDATE audit_chain SET action = 'demo.nothing_to_see' WHERE seq = 2");
      expect(changed.rowCount).toBe(1);
    } finally {
      await superuser.end();
    }
    const broken = await cli(['audit', 'verify']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/audit log BROKEN at sequence 2:/);
  });

  it('simulate --live drives the running server with synthetic callers and agents', { timeout: 90_000 }, async () => {
    const live = await cli(['simulate', '--live', '--speed', '100', '--minutes', '0.1', '--agents', '6']);
    expect(live.code, live.stderr).toBe(0);
    const finished = /finished: offered (\d+), answered (\d+), abandoned (\d+)/.exec(live.stdout);
    expect(finished, live.stdout).not.toBeNull();
    expect(Number(finished?.[1])).toBeGreaterThan(0);
    expect(Number(finished?.[2])).toBeGreaterThan(0);
    const stats = await api('/readyz');
    expect(stats.status).toBe(200);
    const tooFast = await cli(['simulate', '--live', '--speed', '500']);
    expect(tooFast.code).not.toBe(0);
    expect(tooFast.stderr).toContain('--speed must be at most 100');
  });

  it('refuses demo codes on a database that is not a demo database', async () => {
    const other = await mkdtemp(path.join(os.tmpdir(), 'switchboard-nodemo-'));
    try {
      const migrate = run(CLI, ['migrate'], baseEnv({ SWITCHBOARD_DATA_DIR: other }));
      started.push(migrate);
      expect((await migrate.exited).code).toBe(0);
      const codes = run(CLI, ['demo', 'codes'], baseEnv({ SWITCHBOARD_DATA_DIR: other }));
      started.push(codes);
      expect((await codes.exited).code).toBe(1);
      expect(codes.stderr()).toContain('not a demo database');
      expect(codes.stdout()).not.toMatch(/\d{6}/);
      const live = run(CLI, ['simulate', '--live', '--minutes', '0.1'], baseEnv({ SWITCHBOARD_DATA_DIR: other }));
      started.push(live);
      expect((await live.exited).code).toBe(1);
      expect(live.stdout()).toContain('no Switchboard is running on this data directory');
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
