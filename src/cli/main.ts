#!/usr/bin/env node
// Over 500 lines: the command table and each command's argument parsing, read top to bottom as the CLI's help.

import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { type Config, ConfigError, loadConfig } from '../config/config.js';
import { ROLES, type Role } from '../domain/access/access-control.js';
import { AppError } from '../domain/errors/app-error.js';
import { AGENCY_TYPES, AGREEMENT_MODELS, AGREEMENT_STATUSES } from '../domain/partner/agency-rules.js';
import type { Shift } from '../domain/routing/simulator.js';
import { JOB_QUEUES } from '../jobs/job-queues.js';
import { importAgencies, listAgencies, saveAgency } from '../services/agency.service.js';
import { auditKeyId, checkPublishedHeads, inclusionProof, verifyAuditLog } from '../services/audit.service.js';
import { checkAuditExport } from '../services/audit-console.service.js';
import { AuditSealer } from '../services/audit-sealer.js';
import { demoSignInCodes } from '../services/demo-codes.service.js';
import { demoDatabaseState, readDemoMarker, seedDemo } from '../services/demo-seed.service.js';
import type { EnrollmentCourier, EnrollmentLink } from '../services/identity-context.js';
import { recentJobRuns } from '../services/job-runs.service.js';
import { addClient, listClients, revokeClient, rotateClientSecret } from '../services/partner-client.service.js';
import { loadReferenceData } from '../services/reference-data.service.js';
import { runRetention } from '../services/retention.service.js';
import { addUser, disableUser, listUsers, resetMfa, resetPassword, setBreakGlass } from '../services/user-admin.service.js';
import { MigrationError } from '../storage/migrator.js';
import { auditSigningKey, cliContext, enrollmentOutboxDir, openIdentity } from './identity-runtime.js';
import { printDemoAccounts } from './output.js';

const ShiftFile = z
  .array(
    z.strictObject({
      start: z.string().regex(/^\d{1,2}:\d{2}$/, 'must be HH:MM'),
      end: z.string().regex(/^\d{1,2}:\d{2}$/, 'must be HH:MM'),
      agents: z.number().int().min(1).max(10_000),
    }),
  )
  .min(1, 'needs at least one shift');

import { clusterUp } from './cluster.command.js';
import { runLive, runSimulation } from './simulate.command.js';
import { packageVersion, startCommand } from './start.command.js';
import { applyMigrations, openStorage, StartupError, type Storage, withOwnerDatabase } from './storage-runtime.js';

const progress = (line: string): void => {
  process.stderr.write(`switchboard: ${line}\n`);
};
const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** With childEnvironment below, the only place that reads process.env: once, at start-up. */
function config(): Config {
  return loadConfig(process.env, process.cwd());
}

/** What a child process this CLI starts (`cluster up`'s nodes) inherits: where programs are, and home. */
function childEnvironment(): Record<string, string> {
  const { PATH, HOME } = process.env;
  return { ...(PATH ? { PATH } : {}), ...(HOME ? { HOME } : {}) };
}

function fail(error: unknown): never {
  if (error instanceof ConfigError || error instanceof StartupError || error instanceof MigrationError || error instanceof AppError) {
    process.stderr.write(`switchboard: ${error.message}\n`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`switchboard: failed: ${message}\n`);
  process.exit(1);
}

/** A one-shot command on the database: migrated first; attaches to a running server's embedded database if there is one. */
async function withStorage(command: string, work: (storage: Storage, cfg: Config) => Promise<number | undefined>): Promise<void> {
  let code: number | undefined;
  try {
    const cfg = config();
    const storage = await openStorage(cfg, command, { requireOwnership: false, progress });
    try {
      await applyMigrations(storage, progress);
      code = await work(storage, cfg);
      // What this command audited is sealed before it exits, unless a running node holds the sealer's lease (then it does).
      await sealOnce(storage, cfg).catch((error: unknown) =>
        progress(`audit events left for the sealer: ${error instanceof Error ? error.message : String(error)}`),
      );
    } finally {
      await storage.close();
    }
  } catch (error) {
    fail(error);
  }
  if (code) process.exit(code);
}

/** Seals what is in the audit inbox when no running node holds the sealer's lease; hands the lease back at once. */
async function sealOnce(storage: Storage, cfg: Config): Promise<void> {
  const sealer = new AuditSealer(storage.handle.db, {
    nodeId: `cli-${os.hostname()}-${process.pid}`,
    signingKey: await auditSigningKey(cfg),
    intervalMs: 1000,
    leaseMs: 10_000,
  });
  await sealer.sealAll();
  await sealer.stop();
}

/** An audit sequence number: a whole number from 1 (the log outgrows any small bound). */
const sequenceNumber = (value: string): number => {
  if (!/^\d{1,15}$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('must be a sequence number: a whole number from 1');
  return Number(value);
};

/** A whole number from 1 to max, for a count or a port. */
const positiveInt = (value: string, max: number): number => {
  if (!/^\d{1,6}$/.test(value) || Number(value) < 1 || Number(value) > max)
    throw new InvalidArgumentError(`must be a whole number from 1 to ${max}`);
  return Number(value);
};

const parseSeed = (value: string): number => {
  if (!/^\d{1,10}$/.test(value) || Number(value) > 2 ** 31) throw new InvalidArgumentError('must be a whole number from 0 to 2147483648');
  return Number(value);
};

const program = new Command()
  .name('switchboard')
  .description('Switchboard: contact center and case management. Configuration comes from the environment (see README).')
  .version(packageVersion())
  .showHelpAfterError();

program
  .command('start')
  .description(
    'run the server: its own embedded PostgreSQL in SWITCHBOARD_DATA_DIR unless DATABASE_URL is set; migrations are applied first',
  )
  .option('--no-demo', 'do not add demo data on the first start of an empty database')
  .option(
    '--telephony',
    'also start the SIP edge (Kamailio on udp 127.0.0.1:SIP_EDGE_PORT), rtpengine and this call-control node; stopped with the server',
  )
  .action(async (options: { demo: boolean; telephony?: boolean }) => {
    try {
      await startCommand(config(), { demo: options.demo, telephony: options.telephony === true, progress });
    } catch (error) {
      fail(error);
    }
  });

const cluster = program
  .command('cluster')
  .description('the production shape on this machine (Debian packages patroni, etcd-server, haproxy)');
cluster
  .command('up')
  .description('etcd, PostgreSQL primary and synchronous standby under Patroni, HAProxy, and N Switchboard nodes; runs until Ctrl-C')
  .option('--dir <folder>', 'a new, empty folder for the cluster', './data/cluster')
  .option('--nodes <n>', 'Switchboard nodes (HTTP on PORT, PORT+1, …)', (v) => positiveInt(v, 9), 2)
  .option('--port <port>', "the first node's HTTP port", (v) => positiveInt(v, 65_535), 8080)
  .option('--no-demo', "no demo data on the first node's first start")
  .option(
    '--telephony',
    'also one rtpengine and one Kamailio (udp 127.0.0.1:SIP_EDGE_PORT) shared by the nodes, each node taking calls on SIP_NODE_PORT, +1, …',
  )
  .action(async (options: { dir: string; nodes: number; port: number; demo: boolean; telephony?: boolean }) => {
    try {
      const cfg = config();
      const telephony = options.telephony
        ? {
            sipEdgePort: cfg.SIP_EDGE_PORT,
            sipNodePort: cfg.SIP_NODE_PORT,
            rtpengineNgPort: cfg.RTPENGINE_NG_PORT,
            rtpengineTcpNgPort: cfg.RTPENGINE_TCP_NG_PORT || cfg.RTPENGINE_NG_PORT + 1,
            rtpPortMin: cfg.RTP_PORT_MIN,
            rtpPortMax: cfg.RTP_PORT_MAX,
          }
        : null;
      await clusterUp(
        { ...options, telephony, leaseMs: cfg.ROUTING_LEASE_MS, logLevel: cfg.LOG_LEVEL, inherit: childEnvironment() },
        progress,
      );
    } catch (error) {
      fail(error);
    }
  });

program
  .command('migrate')
  .description('apply pending database migrations and exit (safe beside a running server: an advisory lock applies each once)')
  .action(async () => {
    try {
      const storage = await openStorage(config(), 'migrate', { requireOwnership: false, progress });
      try {
        progress(`database: ${storage.description}`);
        const applied = await applyMigrations(storage, progress);
        await loadReferenceData(storage.handle.db);
        print(applied.length > 0 ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'database schema is up to date');
      } finally {
        await storage.close();
      }
    } catch (error) {
      fail(error);
    }
  });

program
  .command('jobs')
  .description('list the latest runs of the background jobs on the job queue (any node may have run them), newest first')
  .option('--limit <n>', 'how many runs', (v) => positiveInt(v, 1_000), 20)
  .option('--json', 'print one JSON array')
  .action((options: { limit: number; json?: boolean }) =>
    withStorage('jobs', async (storage) => {
      const byQueue = new Map(Object.entries(JOB_QUEUES).map(([job, queue]) => [queue.name, job]));
      const runs = (await recentJobRuns(storage.handle.db, options.limit)).map((run) => ({
        job: byQueue.get(run.queue) ?? run.queue,
        ...run,
      }));
      if (options.json) {
        print(JSON.stringify(runs));
        return undefined;
      }
      if (runs.length === 0) print('no job runs yet');
      for (const run of runs) {
        const took =
          run.startedAt && run.completedAt ? ` in ${((run.completedAt.getTime() - run.startedAt.getTime()) / 1_000).toFixed(3)} s` : '';
        const retries = run.retries > 0 ? ` (retry ${run.retries})` : '';
        print(`${run.createdAt.toISOString()}  ${run.job}: ${run.state}${retries}${took}`);
      }
      return undefined;
    }),
  );

program
  .command('seed')
  .description('add data to an empty database')
  .requiredOption('--demo', 'synthetic demo data: agencies, one account per role (passwords printed once), persons and cases')
  .option('--seed <n>', 'random seed; the same seed gives the same persons and cases', parseSeed, 1)
  .action((options: { demo: boolean; seed: number }, command: Command) =>
    withStorage('seed', async (storage, cfg) => {
      const state = await demoDatabaseState(storage.handle.db);
      if (state.kind === 'demo') {
        print(`this database already holds demo data (seed ${state.marker.seed}, added ${state.marker.seededAt}); nothing to do`);
        return 0;
      }
      // An interrupted seed is finished with its own seed unless another was asked for (which is then refused).
      const seed = state.kind === 'interrupted' && command.getOptionValueSource('seed') === 'default' ? state.seed : options.seed;
      if (state.kind === 'interrupted')
        progress(`finishing the demo seed that was interrupted (seed ${state.seed}, begun ${state.startedAt})…`);
      const identity = await openIdentity(cfg, storage);
      printDemoAccounts(
        await seedDemo(storage.handle.db, identity.keys, { seed, timeZone: cfg.CENTER_TIME_ZONE, now: new Date(), progress }),
      );
      return 0;
    }),
  );

const positive =
  (name: string, integer = true, max = Number.POSITIVE_INFINITY) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
      throw new InvalidArgumentError(`${name} must be a positive ${integer ? 'whole ' : ''}number`);
    if (n > max) throw new InvalidArgumentError(`${name} must be at most ${max}`);
    return n;
  };

program
  .command('simulate')
  .description(
    'simulate days of the contact center on the real routing engine (virtual clock): Poisson arrivals, exponential handle times and patience',
  )
  .option('--calls-per-day <n>', 'calls a day', positive('--calls-per-day'), 7000)
  .option('--days <n>', 'days to simulate', positive('--days'), 1)
  .addOption(new Option('--profile <profile>', 'arrivals over the day').choices(['daily', 'flat']).default('daily'))
  .option('--aht <seconds>', 'mean handle (talk) time', positive('--aht', false), 240)
  .option(
    '--wrap <seconds>',
    'wrap-up after each call',
    (v: string) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('--wrap must be zero or more seconds');
      return n;
    },
    0,
  )
  .option('--patience <seconds>', 'mean caller patience before abandoning', positive('--patience', false), 120)
  .option('--no-abandon', 'callers never hang up')
  .option('--agents <n>', 'agents staffed around the clock', positive('--agents'), 60)
  .option(
    '--shifts <file>',
    'a JSON file of shifts instead of --agents: [{"start":"07:00","end":"15:00","agents":20}, …] (times in the day; a shift may cross midnight)',
  )
  .option('--threshold <seconds>', 'service-level threshold', positive('--threshold', false), 20)
  .option('--seed <n>', 'random seed; the same seed gives the same day', parseSeed, 1)
  .option('--json', 'print one JSON object (offered, answered, abandoned, serviceLevel, asa, aht, abandonRate, occupancy, intervals)')
  .option('--live', 'drive the running Switchboard (demo databases only) with synthetic callers and agents, so the wallboard moves')
  .option('--speed <x>', 'with --live: time runs this many times faster', positive('--speed', false, 100), 1)
  .option('--minutes <n>', 'with --live: how long to run (real minutes)', positive('--minutes', false, 60), 10)
  .action(
    (options: {
      callsPerDay: number;
      days: number;
      profile: 'daily' | 'flat';
      aht: number;
      wrap: number;
      patience: number;
      abandon: boolean;
      agents: number;
      threshold: number;
      seed: number;
      shifts?: string;
      json?: boolean;
      live?: boolean;
      speed: number;
      minutes: number;
    }) => {
      if (options.live) {
        return withStorage('simulate', (storage) =>
          runLive(
            storage,
            {
              callsPerDay: options.callsPerDay,
              speed: options.speed,
              agents: options.agents,
              ahtSeconds: options.aht,
              patienceSeconds: options.abandon ? options.patience : null,
              seed: options.seed,
              minutes: options.minutes,
            },
            print,
          ),
        );
      }
      let shifts: Shift[] | undefined;
      if (options.shifts) {
        try {
          shifts = ShiftFile.parse(JSON.parse(readFileSync(options.shifts, 'utf8')));
        } catch (error) {
          fail(
            new StartupError(
              `--shifts ${options.shifts}: ${error instanceof z.ZodError ? error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ') : error instanceof Error ? error.message : String(error)}`,
            ),
          );
        }
      }
      runSimulation(
        {
          callsPerDay: options.callsPerDay,
          days: options.days,
          profile: options.profile,
          ahtSeconds: options.aht,
          wrapSeconds: options.wrap,
          patienceSeconds: options.abandon ? options.patience : null,
          agents: options.agents,
          ...(shifts ? { shifts } : {}),
          thresholdSeconds: options.threshold,
          seed: options.seed,
        },
        { json: options.json === true },
      );
    },
  );

const demo = program.command('demo').description('helpers for demo databases only');
demo
  .command('codes')
  .description("print each demo account's current sign-in code (demo databases only: stands in for a phone)")
  .action(() =>
    withStorage('demo', async (storage, cfg) => {
      const refuse = () => {
        process.stderr.write('switchboard: this database is not a demo database; demo codes are refused\n');
        return 1;
      };
      if (!(await readDemoMarker(storage.handle.db))) return refuse();
      const identity = await openIdentity(cfg, storage);
      const now = new Date();
      const secondsLeft = 30 - (Math.floor(now.getTime() / 1000) % 30);
      const codes = await demoSignInCodes(storage.handle.db, identity.keys, now);
      if (!codes) return refuse();
      for (const { username, code } of codes) print(`${username.padEnd(16)} ${code}`);
      print(`(valid for ${secondsLeft} more seconds; each code works once)`);
      return 0;
    }),
  );

const audit = program.command('audit').description('the audit log');
audit
  .command('verify')
  .description(
    "recompute the hash chain, each sealed batch's Merkle root and signed head, and check that no event waits unsealed longer than AUDIT_MAX_MERGE_DELAY_MS; with --heads, compare the published heads too: exit 0 if intact, else name the first broken sequence number and exit 1",
  )
  .option('--heads <file>', 'published heads (AUDIT_HEAD_FILE, one JSON line each) to check against the database')
  .option('--json', 'print one JSON object')
  .action((options: { heads?: string; json?: boolean }) =>
    withStorage('audit', async (storage, cfg) => {
      const auditSigning = await auditSigningKey(cfg);
      const check = await verifyAuditLog(storage.handle.db, {
        publicKey: createPublicKey(auditSigning),
        maxMergeDelayMs: cfg.AUDIT_MAX_MERGE_DELAY_MS,
      });
      const published = options.heads ? await checkPublishedHeads(storage.handle.db, readFileSync(options.heads, 'utf8')) : undefined;
      const intact = check.intact && (published?.mismatches.length ?? 0) === 0;
      if (options.json) print(JSON.stringify({ ...check, intact, ...(published ? { published } : {}) }));
      else if (check.intact) {
        print(
          `audit log intact: ${check.count} events, last hash ${check.lastHash ?? '(none)'}; ${check.heads.checked} signed batches; ${check.pending.count} events waiting to be sealed`,
        );
        if (published) print(`published heads: ${published.checked} checked, ${published.mismatches.length} do not match`);
      }
      if (!check.intact)
        process.stderr.write(
          `switchboard: audit log BROKEN at sequence ${check.brokenAt}: ${check.reason} (${check.count} events verified before it)\n`,
        );
      for (const m of published?.mismatches ?? [])
        process.stderr.write(`switchboard: published head of batch ${m.batch} does not match: ${m.reason}\n`);
      return intact ? 0 : 1;
    }),
  );
audit
  .command('prove')
  .argument('<seq>', 'the sealed event’s sequence number', sequenceNumber)
  .description(
    "print the inclusion proof of sealed event <seq> (JSON: the event, its batch's audit path and signed head), which an outside auditor checks with the sealer's public key and nothing else of the log",
  )
  .action((seq: number) =>
    withStorage('audit', async (storage) => {
      const proof = await inclusionProof(storage.handle.db, seq);
      if (!proof) {
        process.stderr.write(`switchboard: event ${seq} is not sealed in a signed batch\n`);
        return 1;
      }
      print(JSON.stringify(proof, null, 2));
      return 0;
    }),
  );
audit
  .command('check-export')
  .argument('<file>', 'an export saved from the auditor’s console (GET /api/v1/audit/export)')
  .requiredOption('--key <pem>', 'the sealer’s public key (PEM) as published — not the copy inside the file')
  .description(
    'check an audit export without the database: each event’s hash from its fields, its audit path to its batch’s Merkle root, that head signed by the key; exit 0 if every event holds, else name each that does not and exit 1',
  )
  .action((file: string, options: { key: string }) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      process.stderr.write(`switchboard: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
      return;
    }
    const check = checkAuditExport(parsed, createPublicKey(readFileSync(options.key, 'utf8')));
    print(`audit export: ${check.valid} events proved with key ${check.keyId}; ${check.failures.length} failed`);
    for (const f of check.failures) process.stderr.write(`switchboard: ${f.seq === null ? 'the file' : `event ${f.seq}`}: ${f.reason}\n`);
    process.exitCode = check.failures.length === 0 ? 0 : 1;
  });
audit
  .command('key')
  .description("print the sealer's public key (PEM) and its key id: what an outside auditor checks published heads and proofs with")
  .action(() =>
    withStorage('audit', async (_storage, cfg) => {
      const publicKey = createPublicKey(await auditSigningKey(cfg));
      print(`key id ${auditKeyId(publicKey)}`);
      print(publicKey.export({ format: 'pem', type: 'spki' }).toString().trim());
      return 0;
    }),
  );

program
  .command('retention')
  .description(
    'purge what the retention schedules say is due: tips closed as unsubstantiated, call records with their finished callbacks, and voicemail audio, each after its set days, unless under legal hold (UAC records, referred cases and the audit log are kept); audited by kind and count',
  )
  .option('--dry-run', 'count what would be purged and change nothing')
  .option('--json', 'print one JSON object')
  .action((options: { dryRun?: boolean; json?: boolean }) =>
    withStorage('retention', async (storage, cfg) => {
      const result = await withOwnerDatabase(storage, (db) =>
        runRetention(db, cliContext(cfg), { dryRun: options.dryRun === true, attachmentsDir: path.join(cfg.dataDir, 'attachments') }),
      );
      if (options.json) print(JSON.stringify(result));
      else {
        const c = result.counts;
        print(
          `${result.dryRun ? 'would purge' : 'purged'} (tips closed as unsubstantiated before ${result.cutoff}, ${result.retentionDays} days): ${c.cases} cases, ${c.reports} reports, ${c.persons} persons, ${c.locationObservations} location observations, ${c.caseEvents} timeline events, ${c.attachments} attachments`,
        );
        print(
          `${result.dryRun ? 'would purge' : 'purged'} (calls ended before ${result.calls.cutoff}, ${result.calls.retentionDays} days; voicemails and recordings before ${result.voicemails.cutoff} and ${result.recordings.cutoff}): ${c.calls} call records, ${c.callbacks} callbacks, ${c.voicemails} voicemails, ${c.recordings} recordings`,
        );
      }
      return 0;
    }),
  );

const agency = program.command('agency').description('the partner agency registry (every change is audited)');
agency
  .command('list')
  .description('list agencies and their 287(g) agreements')
  .option('--state <code>', 'only this state')
  .option('--json', 'print JSON')
  .action((options: { state?: string; json?: boolean }) =>
    withStorage('agency', async (storage) => {
      const rows = await listAgencies(storage.handle.db, { state: options.state }, 5_000);
      if (options.json)
        print(
          JSON.stringify(
            rows.map((r) => ({ ori: r.ori, name: r.name, type: r.type, model: r.agreement_model, status: r.agreement_status })),
          ),
        );
      else for (const r of rows) print(`${r.ori}  ${r.agreement_status.padEnd(10)} ${r.agreement_model.padEnd(24)} ${r.name}`);
      return 0;
    }),
  );
agency
  .command('add')
  .description('register an agency and its 287(g) agreement')
  .requiredOption('--ori <ORI>', '9 characters, starting with the state code')
  .requiredOption('--name <name>', "the agency's name")
  .addOption(new Option('--type <type>', 'kind of agency').choices([...AGENCY_TYPES]).makeOptionMandatory())
  .addOption(new Option('--model <model>', '287(g) model').choices([...AGREEMENT_MODELS]).makeOptionMandatory())
  .addOption(new Option('--status <status>', 'agreement status').choices([...AGREEMENT_STATUSES]).default('active'))
  .requiredOption('--effective <date>', 'agreement in effect from (YYYY-MM-DD)')
  .option('--end <date>', 'agreement ends (YYYY-MM-DD)')
  .option('--county <county>', 'county')
  .action(
    (o: { ori: string; name: string; type: string; model: string; status: string; effective: string; end?: string; county?: string }) =>
      withStorage('agency', async (storage, cfg) => {
        const saved = await saveAgency(
          storage.handle.db,
          cliContext(cfg),
          {
            ori: o.ori,
            name: o.name,
            type: o.type,
            county: o.county,
            agreementModel: o.model,
            agreementStatus: o.status,
            agreementEffective: o.effective,
            agreementEnd: o.end,
          },
          'add',
        );
        print(`added ${saved.ori} (${saved.name})`);
        return 0;
      }),
  );
agency
  .command('import')
  .description('import agencies from a CSV file (header row; good rows saved, bad rows reported)')
  .argument('<file>', 'CSV file')
  .option('--json', 'print the row-by-row report as JSON')
  .action((file: string, options: { json?: boolean }) =>
    withStorage('agency', async (storage, cfg) => {
      const report = await importAgencies(storage.handle.db, cliContext(cfg), readFileSync(file, 'utf8'));
      if (options.json) print(JSON.stringify(report));
      else {
        print(`added ${report.added}, updated ${report.updated}, refused ${report.errors}`);
        for (const r of report.rows.filter((x) => x.result === 'error'))
          print(
            `  row ${r.row}${r.ori ? ` (${r.ori})` : ''}: ${r.issues.map((i) => `${i.path.replace(/^row\d+\./, '')} ${i.message}`).join('; ')}`,
          );
      }
      return report.errors > 0 ? 3 : 0;
    }),
  );

const user = program.command('user').description('staff accounts (every action is audited)');

/**
 * The operator at the server's console is the out-of-band channel: whoever runs
 * the CLI already holds the data directory and the master key, so showing them a
 * link gives nothing away, and they hand it to the person (in person, sealed,
 * by phone). With --outbox the link goes to the enrollment outbox instead.
 */
function operatorCourier(): { courier: EnrollmentCourier; link: () => EnrollmentLink | undefined } {
  let held: EnrollmentLink | undefined;
  return {
    courier: {
      channel: 'operator',
      deliver: async (link) => {
        held = link;
      },
    },
    link: () => held,
  };
}

const printLink = (link: EnrollmentLink | undefined, json: boolean, outbox: string | undefined) => {
  if (json) print(JSON.stringify({ username: link?.username, role: link?.role, enrollmentUrl: link?.url, outbox }));
  else if (link) {
    print(`${link.reason === 'new_account' ? 'enrollment' : 'password reset'} link (one use, until ${link.expiresAt.toISOString()}):`);
    print(`  ${link.url}`);
    print('give it to the person yourself; it is shown only now');
  } else print(`the link was written to the enrollment outbox (${outbox ?? ''}) for delivery`);
};

user
  .command('add')
  .description('add an account and print its one-time enrollment link (72 hours) for you to hand to the person')
  .addOption(new Option('--role <role>', 'role').choices(ROLES).makeOptionMandatory())
  .requiredOption('--name <display name>', "the person's name as colleagues know it")
  .option('--username <username>', 'sign-in name (default: from the name, e.g. maria.lopez)')
  .option('--agency <ORI>', "partner officers: their agency's ORI")
  .option('--field-office <code>', 'field officers: their field office code, e.g. NOL')
  .option('--unit <unit>', 'unit, e.g. uac')
  .option('--outbox', 'send the link through the enrollment outbox instead of printing it')
  .option('--json', 'print JSON')
  .action(
    (options: {
      role: Role;
      name: string;
      username?: string;
      agency?: string;
      fieldOffice?: string;
      unit?: string;
      outbox?: boolean;
      json?: boolean;
    }) =>
      withStorage('user', async (storage, cfg) => {
        const identity = await openIdentity(cfg, storage);
        const operator = operatorCourier();
        const invited = await addUser(
          identity,
          cliContext(cfg),
          {
            displayName: options.name,
            role: options.role,
            username: options.username,
            agencyOri: options.agency,
            fieldOfficeCode: options.fieldOffice,
            unit: options.unit,
          },
          options.outbox ? identity.enrollmentCourier : operator.courier,
        );
        if (!options.json) print(`added ${invited.user.username} (${invited.user.role})`);
        printLink(operator.link(), options.json === true, options.outbox ? enrollmentOutboxDir(cfg) : undefined);
        return 0;
      }),
  );
user
  .command('reset-password <username>')
  .description('the old password stops working and sessions end; print a one-time link to choose a new one (the authenticator stays)')
  .option('--outbox', 'send the link through the enrollment outbox instead of printing it')
  .option('--json', 'print JSON')
  .action((username: string, options: { outbox?: boolean; json?: boolean }) =>
    withStorage('user', async (storage, cfg) => {
      const identity = await openIdentity(cfg, storage);
      const operator = operatorCourier();
      const reset = await resetPassword(
        identity,
        cliContext(cfg),
        username,
        options.outbox ? identity.enrollmentCourier : operator.courier,
      );
      if (!options.json) print(`password reset for ${reset.user.username}`);
      printLink(operator.link(), options.json === true, options.outbox ? enrollmentOutboxDir(cfg) : undefined);
      return 0;
    }),
  );
user
  .command('disable <username>')
  .description('disable an account; its sessions end at once')
  .action((username: string) =>
    withStorage('user', async (storage, cfg) => {
      const disabled = await disableUser(await openIdentity(cfg, storage), cliContext(cfg), username);
      print(`disabled ${disabled.username}`);
      return 0;
    }),
  );
user
  .command('break-glass <username>')
  .description(
    'keep password+TOTP sign-in for this account while single sign-on is on (for when the identity provider is down); --off takes it away',
  )
  .option('--off', 'take the break-glass mark away')
  .action((username: string, options: { off?: boolean }) =>
    withStorage('user', async (storage, cfg) => {
      const changed = await setBreakGlass(await openIdentity(cfg, storage), cliContext(cfg), username, options.off !== true);
      print(`${changed.username} ${changed.break_glass ? 'is' : 'is no longer'} a break-glass account`);
      return 0;
    }),
  );
user
  .command('reset-mfa <username>')
  .description('forget the authenticator and recovery codes; the next sign-in enrolls a new one')
  .action((username: string) =>
    withStorage('user', async (storage, cfg) => {
      const reset = await resetMfa(await openIdentity(cfg, storage), cliContext(cfg), username);
      print(`second factor reset for ${reset.username}: they enroll a new authenticator at their next sign-in`);
      return 0;
    }),
  );
user
  .command('list')
  .description('list accounts')
  .option('--json', 'print JSON')
  .action((options: { json?: boolean }) =>
    withStorage('user', async (storage, cfg) => {
      const users = await listUsers(await openIdentity(cfg, storage), cliContext(cfg));
      const rows = users.map((u) => ({
        username: u.username,
        role: u.role,
        status: u.disabled_at ? 'disabled' : u.password_hash ? 'active' : 'invited',
        mfa: u.totp_enrolled_at ? 'enrolled' : 'not enrolled',
        agency: u.agency_ori,
      }));
      if (options.json) print(JSON.stringify(rows));
      else
        for (const r of rows)
          print(`${r.username.padEnd(20)} ${r.role.padEnd(16)} ${r.status.padEnd(9)} ${r.mfa}${r.agency ? `  ${r.agency}` : ''}`);
      return 0;
    }),
  );

const client = program.command('client').description('partner machine clients (OAuth 2.0 client credentials; every action is audited)');
client
  .command('add')
  .description("add a client bound to an agency's ORI and print its id and secret once")
  .requiredOption('--agency <ORI>', "the agency's 9-character ORI")
  .option('--name <name>', 'what the client is, e.g. "Records system"', 'Partner system')
  .option('--scopes <scopes...>', 'scopes (default: all)')
  .option('--json', 'print {"clientId":…,"clientSecret":…}')
  .action((options: { agency: string; name: string; scopes?: string[]; json?: boolean }) =>
    withStorage('client', async (storage, cfg) => {
      const created = await addClient(await openIdentity(cfg, storage), cliContext(cfg), {
        agencyOri: options.agency,
        name: options.name,
        scopes: options.scopes ?? [],
      });
      if (options.json) print(JSON.stringify({ clientId: created.client.client_id, clientSecret: created.clientSecret }));
      else {
        print(`client ${created.client.client_id} for ${created.client.agency_ori} (scopes: ${created.client.scopes.join(' ')})`);
        print(`secret (shown only now): ${created.clientSecret}`);
      }
      return 0;
    }),
  );
client
  .command('rotate <clientId>')
  .description('replace the secret (the old one stops working now) and print the new one once')
  .option('--json', 'print JSON')
  .action((clientId: string, options: { json?: boolean }) =>
    withStorage('client', async (storage, cfg) => {
      const rotated = await rotateClientSecret(await openIdentity(cfg, storage), cliContext(cfg), clientId);
      print(
        options.json
          ? JSON.stringify({ clientId, clientSecret: rotated.clientSecret })
          : `new secret (shown only now): ${rotated.clientSecret}`,
      );
      return 0;
    }),
  );
client
  .command('revoke <clientId>')
  .description('revoke a client: its secret and tokens stop working now')
  .action((clientId: string) =>
    withStorage('client', async (storage, cfg) => {
      await revokeClient(await openIdentity(cfg, storage), cliContext(cfg), clientId);
      print(`revoked ${clientId}`);
      return 0;
    }),
  );
client
  .command('list')
  .description('list clients')
  .option('--json', 'print JSON')
  .action((options: { json?: boolean }) =>
    withStorage('client', async (storage, cfg) => {
      const rows = (await listClients(await openIdentity(cfg, storage))).map((c) => ({
        clientId: c.client_id,
        agency: c.agency_ori,
        name: c.name,
        scopes: c.scopes,
        status: c.revoked_at ? 'revoked' : 'active',
      }));
      if (options.json) print(JSON.stringify(rows));
      else for (const r of rows) print(`${r.clientId}  ${r.agency}  ${r.status.padEnd(7)}  ${r.scopes.join(' ')}  ${r.name}`);
      return 0;
    }),
  );

await program.parseAsync(process.argv);
