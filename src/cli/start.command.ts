import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { hostname } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Counter } from 'prom-client';
import { type Config, callbackPolicy, carrierAllow, edgeTls, outboundConfig, ssoSettings } from '../config/config.js';
import { AppError } from '../domain/errors/app-error.js';
import { buildApp, logSerializers } from '../http/app.js';
import { startHttpsRedirect, stopHttpsRedirect } from '../http/https-redirect.js';
import { callbackReleaseJob } from '../jobs/callback-release.job.js';
import { casePlanSweepJob } from '../jobs/case-plan-sweep.job.js';
import { dailyReportsJob } from '../jobs/daily-reports.job.js';
import { handoffSweepJob } from '../jobs/handoff-sweep.job.js';
import { QueueJobRunner } from '../jobs/job-queue-runner.js';
import { JOB_QUEUES } from '../jobs/job-queues.js';
import { outcomeLog } from '../jobs/job-runner.js';
import { partnerProcessorJob } from '../jobs/partner-processor.job.js';
import { partnerRequestSweepJob } from '../jobs/partner-request-sweep.job.js';
import { retentionJob } from '../jobs/retention.job.js';
import { submissionWorkItemSweepJob } from '../jobs/submission-work-item-sweep.job.js';
import { welfareSweepJob } from '../jobs/welfare-sweep.job.js';
import { AuditSealer } from '../services/audit-sealer.js';
import { CallRecordService } from '../services/call-record.service.js';
import { CallbackService } from '../services/callback.service.js';
import { demoDatabaseState, readDemoMarker, seedDemo } from '../services/demo-seed.service.js';
import { offlineGeocoder } from '../services/geonames.js';
import { IntakeFormsConfig } from '../services/intake-forms.service.js';
import { IvrFlows } from '../services/ivr-flow.service.js';
import { LiveCallRelay } from '../services/live-call-relay.service.js';
import { PhoneDirectory } from '../services/phone.service.js';
import { loadReferenceData } from '../services/reference-data.service.js';
import { RoutingService } from '../services/routing.service.js';
import { loadRoutingConfig } from '../services/routing-admin.service.js';
import { SimulationControl } from '../services/simulation-control.js';
import { ssoClient } from '../services/sso.service.js';
import { isDatabaseUnavailable } from '../storage/database.js';
import { listen } from '../storage/notifications.js';
import { packageRoot } from '../storage/paths.js';
import { TwilioCalls, type TwilioConfig } from '../telephony/adapters/twilio.js';
import { CallControl } from '../telephony/call-control.js';
import { loadFlows } from '../telephony/ivr-flows.js';
import { type LiveCalls, serveLiveCalls } from '../telephony/live-calls.js';
import { PromptLibrary } from '../telephony/media/prompts.js';
import { edgeRefusedCalls } from '../telephony/processes.js';
import { startTelephony, type Telephony } from '../telephony/runtime.js';
import { liveTrafficFactory } from '../telephony/simulator/live-traffic-factory.js';
import { openIdentity, publicUrl, secureCookies } from './identity-runtime.js';
import { printDemoAccounts } from './output.js';
import { applyMigrations, openStorage, StartupError, type StorageOptions, withOwnerDatabase } from './storage-runtime.js';

export function packageVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8'));
  return typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}

/**
 * Development = staff reach Switchboard over plain HTTP on this machine only (no Secure cookies): partner webhooks
 * may then point at this machine (never at a private network). An HTTPS PUBLIC_URL or a HOST other than loopback is
 * production, where they may not.
 */
export const developmentMode = (config: Config): boolean => !secureCookies(config);

/** Telephony events an operator must see at the default log level. */
/** How often a node reads the newest versions of the IVR flows and intake forms (another node's change from the admin console). */
const CONFIG_POLL_MS = 10_000;

const TELEPHONY_WARNINGS = new Set([
  'call_failed',
  'call_record_failed',
  'call_not_adopted',
  'call_adoption_failed',
  'call_state_not_saved',
  'call_session_failed',
  'adopt_failed',
]);

export async function startCommand(
  config: Config,
  options: { demo: boolean; telephony?: boolean; progress: (line: string) => void },
): Promise<void> {
  const { progress } = options;
  const logger = pino({ level: config.LOG_LEVEL, serializers: logSerializers, base: { service: 'switchboard' } });
  progress(`starting Switchboard ${packageVersion()}`);
  const storage = await openStorage(config, 'start', { requireOwnership: true, progress, watch: databaseWatch(logger) });
  let closing = false;
  const shutdown = async (reason: string, exitCode: number): Promise<void> => {
    if (closing) return;
    closing = true;
    logger.info({ reason }, 'shutting down');
    const grace = setTimeout(() => {
      logger.error('in-flight requests did not finish in time; closing anyway');
      void storage.close().finally(() => process.exit(exitCode || 1));
    }, config.SHUTDOWN_GRACE_MS);
    grace.unref();
    try {
      // Calls first. With the edge and rtpengine shared (a cluster), they are handed to the other nodes, untouched —
      // a rolling restart costs the callers nothing; alone, callers hear the end of the call, not a dead line.
      await stopRelay?.();
      if (telephony && config.TELEPHONY_SHARED) {
        const handed = await telephony.handOver();
        logger.info({ handed }, 'calls handed over to the other nodes');
      } else await telephony?.stop();
      if (redirect) await stopHttpsRedirect(redirect);
      await app?.close();
      await jobs?.stop();
      await simulation?.stop();
      await routing?.stop();
      // Last: what the requests above audited is sealed before the lease is handed over.
      await sealer?.stop();
    } finally {
      await storage.close();
      clearTimeout(grace);
      logger.info('stopped');
      logger.flush();
      process.exit(exitCode);
    }
  };
  let telephony: Telephony | undefined;
  /** Stops carrying out the acts other nodes relay for this node's calls. */
  let stopRelay: (() => Promise<void>) | undefined;
  let app: Awaited<ReturnType<typeof buildApp>>['app'] | undefined;
  /** The plain-HTTP listener that only redirects to HTTPS (HTTP_REDIRECT_PORT). */
  let redirect: Server | undefined;
  let routing: RoutingService | undefined;
  let simulation: SimulationControl | undefined;
  let jobs: QueueJobRunner | undefined;
  let sealer: AuditSealer | undefined;
  try {
    progress(`database: ${storage.description}`);
    const applied = await applyMigrations(storage, progress);
    progress(applied.length > 0 ? `migrations: applied ${applied.length} (${applied.join(', ')})` : 'migrations: up to date');
    await loadReferenceData(storage.handle.db);
    const identity = await openIdentity(config, storage);
    const development = developmentMode(config);
    // Demo data is made before the routing engine opens: the seed plays its work items through an engine of its own
    // on the demo's clock, and the engine opened below replays them from the command log.
    const demoState = await demoDatabaseState(storage.handle.db);
    const demoWanted = options.demo && config.SWITCHBOARD_DEMO_ON_FIRST_START;
    if (demoState.kind === 'interrupted' && !demoWanted) {
      throw new StartupError(
        `this database holds demo data whose seed was interrupted (seed ${demoState.seed}); finish it with \`switchboard seed --demo --seed ${demoState.seed}\` or a \`start\` with demo data on, or use an empty database`,
      );
    }
    if (demoWanted && (demoState.kind === 'empty' || demoState.kind === 'interrupted')) {
      const seed = demoState.kind === 'interrupted' ? demoState.seed : 1;
      progress(
        demoState.kind === 'interrupted'
          ? `an earlier start was interrupted while adding demo data (seed ${seed}): finishing it…`
          : 'first start on an empty database: adding demo data (seed 1)…',
      );
      try {
        printDemoAccounts(
          await seedDemo(storage.handle.db, identity.keys, { seed, timeZone: config.CENTER_TIME_ZONE, now: new Date(), progress }),
        );
      } catch (error) {
        // Another node's first start seeded the same (external) database while this one waited for the seed's lock.
        if (!(error instanceof AppError && error.code === 'conflict' && (await readDemoMarker(storage.handle.db)))) throw error;
        progress('another process added the demo data');
      }
    }
    // Every start is a node of a cluster, of one or more on this database: the lease decides who fires the timers.
    const nodeId = config.SWITCHBOARD_NODE_ID ?? `${hostname()}-${process.pid}`;
    const pool = storage.handle.pool;
    // The audit log's sealer: on the node holding the 'audit' lease, it chains what every node appends.
    sealer = new AuditSealer(storage.handle.db, {
      nodeId,
      signingKey: identity.keys.auditSigning,
      intervalMs: config.AUDIT_SEAL_INTERVAL_MS,
      leaseMs: Math.max(config.ROUTING_LEASE_MS, config.AUDIT_SEAL_INTERVAL_MS * 5),
      publishEveryMs: config.AUDIT_HEAD_PUBLISH_MS,
      headFile: config.AUDIT_HEAD_FILE,
      log: (event, fields) =>
        event === 'audit_seal_failed' || event === 'audit_sealer_fenced'
          ? logger.warn({ ...fields, node: nodeId }, event)
          : logger.info({ ...fields, node: nodeId }, event),
    });
    sealer.start();
    routing = await RoutingService.open(storage.handle.db, await loadRoutingConfig(storage.handle.db), () => new Date(), {
      nodeId,
      leaseMs: config.ROUTING_LEASE_MS,
      listen: (channel, onAppend) => listen(pool, channel, onAppend),
      onLeadership: (leading, epoch) =>
        logger.info({ node: nodeId, epoch }, leading ? 'leading the routing engine' : 'following the routing engine'),
    });
    progress(
      `routing: ${[...routing.engine.allTasks()].length} tasks and ${[...routing.engine.allWorkers()].length} agents restored from the command log (${
        routing.restored.snapshotSeq ? `the snapshot at ${routing.restored.snapshotSeq}, then ` : ''
      }${routing.restored.replayed} commands; node ${nodeId})`,
    );
    routing.start();
    // The call record, written by every telephony adapter and the live simulation.
    const liveCalls: { current: LiveCalls | null; node: string | null } = { current: null, node: null };
    const callbacks = new CallbackService({ db: storage.handle.db, routing, policy: callbackPolicy(config) });
    const callRecords = new CallRecordService(storage.handle.db, routing, {
      callbacks,
      blobDir: path.join(config.dataDir, 'attachments'),
    });
    // The IVR flows and the intake forms as the admin console versions them: each call control's flow map is attached
    // (changed in place), the desktop's forms replaced; another node's change arrives by the poll.
    const ivrFlows = new IvrFlows({
      db: storage.handle.db,
      shipped: loadFlows(path.join(packageRoot(), 'reference', 'ivr')),
      log: (event, details) =>
        (event === 'ivr_flow_version_refused' ? logger.warn : logger.info).call(logger, { event, ...details }, event),
    });
    const intakeFormsConfig = new IntakeFormsConfig({
      db: storage.handle.db,
      log: (event, details) => (event === 'config_version_refused' ? logger.warn : logger.info).call(logger, { event, ...details }, event),
    });
    await intakeFormsConfig.refresh();
    setInterval(() => {
      void ivrFlows.refresh().catch(() => undefined);
      void intakeFormsConfig.refresh().catch(() => undefined);
      // Phone credentials issued or rotated through another node reach this node's edge.
      void telephony?.syncPhones();
    }, CONFIG_POLL_MS).unref();
    const simulationJob = outcomeLog(logger, 'live simulation control', () => new Date());
    simulation = new SimulationControl(
      storage.handle.db,
      liveTrafficFactory({
        calls: callRecords,
        routing,
        timeZone: config.CENTER_TIME_ZONE,
        flowsDir: path.join(packageRoot(), 'reference', 'ivr'),
      }),
      (message, error) => (isDatabaseUnavailable(error) ? simulationJob.failed(error) : logger.warn({ err: error }, message)),
      config.CENTER_TIME_ZONE,
    );
    simulation.start();
    // The background jobs (src/jobs) on the PostgreSQL job queue: each runs once per interval across the nodes.
    const sweepDeps = { db: storage.handle.db, routing, timeZone: config.CENTER_TIME_ZONE };
    const partnerDeps = {
      db: storage.handle.db,
      routing,
      geocoder: offlineGeocoder(),
      keys: identity.keys,
      allowLoopback: development,
      timeZone: config.CENTER_TIME_ZONE,
    };
    const retentionStorage = storage;
    jobs = new QueueJobRunner(
      [
        welfareSweepJob(sweepDeps),
        casePlanSweepJob(sweepDeps),
        handoffSweepJob(sweepDeps),
        partnerRequestSweepJob(sweepDeps),
        submissionWorkItemSweepJob(partnerDeps),
        partnerProcessorJob(partnerDeps, () => new Date()),
        callbackReleaseJob({ callbacks, timeZone: config.CENTER_TIME_ZONE }),
        dailyReportsJob({
          db: storage.handle.db,
          shortAbandonSeconds: () => sweepDeps.routing.engine.settings.shortAbandonMs / 1000,
          dir: path.resolve(config.REPORT_DROP_DIR ?? path.join(config.dataDir, 'reports')),
          timeZone: config.CENTER_TIME_ZONE,
        }),
        retentionJob({
          asOwner: (work) => withOwnerDatabase(retentionStorage, work),
          attachmentsDir: path.join(config.dataDir, 'attachments'),
          timeZone: config.CENTER_TIME_ZONE,
        }),
      ],
      { pool, nodeId, clock: () => new Date(), logger, queues: JOB_QUEUES },
    );
    await jobs.start();
    // The cloud-voice adapter, when an account is configured: the same flows and ACD, one webhook at a time.
    let twilio: { config: TwilioConfig; calls: TwilioCalls } | undefined;
    if (config.TWILIO_AUTH_TOKEN && config.TWILIO_WEBHOOK_BASE_URL) {
      const { flows, prompts: catalog } = loadFlows(path.join(packageRoot(), 'reference', 'ivr'));
      await ivrFlows.attach(flows);
      const prompts = new PromptLibrary(catalog, path.join(config.dataDir, 'telephony', 'prompts'));
      const node = `${hostname()}:twilio`;
      const validators = new CallControl({
        calls: callRecords,
        routing,
        prompts,
        flows,
        node,
        clock: () => new Date(),
        timeZone: config.CENTER_TIME_ZONE,
        log: () => undefined,
      }).validators;
      twilio = {
        config: { authToken: config.TWILIO_AUTH_TOKEN, baseUrl: config.TWILIO_WEBHOOK_BASE_URL },
        calls: new TwilioCalls({
          calls: callRecords,
          routing,
          flows,
          prompts,
          validators,
          node,
          clock: () => new Date(),
          timeZone: config.CENTER_TIME_ZONE,
          log: (event, details) => logger.info({ event, ...details }, event),
          ...(config.TWILIO_ACCOUNT_SID && config.TWILIO_AGENT_SIP_DOMAIN
            ? {
                rest: {
                  accountSid: config.TWILIO_ACCOUNT_SID,
                  authToken: config.TWILIO_AUTH_TOKEN,
                  apiBaseUrl: config.TWILIO_API_BASE_URL,
                  agentSipDomain: config.TWILIO_AGENT_SIP_DOMAIN,
                  webhookBaseUrl: config.TWILIO_WEBHOOK_BASE_URL,
                },
              }
            : {}),
          outbound: outboundConfig(config),
          interpreter:
            config.INTERPRETER_NUMBER && config.OUTBOUND_CALLER_ID
              ? { number: config.INTERPRETER_NUMBER, callerId: config.OUTBOUND_CALLER_ID }
              : null,
          callbacks,
        }),
      };
      twilio.calls.start();
      progress(`telephony: Twilio webhooks at ${config.TWILIO_WEBHOOK_BASE_URL.replace(/\/$/, '')}/api/telephony/twilio/voice`);
    }
    const sso = ssoSettings(config, publicUrl(config));
    // Agents' phones: the credentials the edge this node runs follows; the softphone when this node runs that edge.
    const phoneDirectory = new PhoneDirectory(storage.handle.db, identity.keys);
    const softphoneHere = options.telephony === true && !config.TELEPHONY_SHARED && config.SOFTPHONE_WS_PORT > 0;
    let metrics: Awaited<ReturnType<typeof buildApp>>['metrics'];
    ({ app, metrics } = await buildApp({
      db: storage.handle.db,
      pool: storage.handle.pool,
      migrations: storage.migrations,
      version: packageVersion(),
      logger: logger,
      identity,
      secureCookies: !development,
      ...(config.HTTPS_CERT_FILE && config.HTTPS_KEY_FILE
        ? { https: { cert: readPem('HTTPS_CERT_FILE', config.HTTPS_CERT_FILE), key: readPem('HTTPS_KEY_FILE', config.HTTPS_KEY_FILE) } }
        : {}),
      development,
      auditMaxMergeDelayMs: config.AUDIT_MAX_MERGE_DELAY_MS,
      callbacks,
      liveCalls,
      timeZone: config.CENTER_TIME_ZONE,
      routing,
      attachmentsDir: path.join(config.dataDir, 'attachments'),
      ...(twilio ? { twilio } : {}),
      ivrFlows,
      intakeForms: intakeFormsConfig,
      ...(sso ? { sso: ssoClient(sso) } : {}),
      phones: {
        directory: phoneDirectory,
        realm: config.SIP_AUTH_REALM,
        softphone: softphoneHere
          ? {
              wsUrl: config.SOFTPHONE_WS_URL ?? `ws://127.0.0.1:${config.SOFTPHONE_WS_PORT}`,
              edgeDomain: `${config.SIP_EDGE_BIND}:${config.SIP_EDGE_PORT}`,
            }
          : null,
      },
    }));
    if (sso) progress(`single sign-on: ${sso.issuer} (password sign-in for break-glass accounts only)`);
    jobs.registerMetrics(metrics.registry);
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void shutdown(signal, 0));
    try {
      await app.listen({ host: config.HOST, port: config.PORT });
    } catch (error) {
      const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
      if (code === 'EADDRINUSE')
        throw new StartupError(`${config.HOST}:${config.PORT} is already in use (another Switchboard?); stop it or set PORT`);
      if (code === 'EADDRNOTAVAIL') throw new StartupError(`HOST ${config.HOST} is not an address of this machine`);
      throw error;
    }
    if (config.HTTP_REDIRECT_PORT) {
      redirect = await startHttpsRedirect({ host: config.HOST, port: config.HTTP_REDIRECT_PORT, publicUrl: publicUrl(config) }).catch(
        (error: unknown) => {
          throw new StartupError(`HTTP_REDIRECT_PORT ${config.HTTP_REDIRECT_PORT} cannot be opened: ${String(error)}`);
        },
      );
      progress(`http://${config.HOST}:${config.HTTP_REDIRECT_PORT} redirects to ${publicUrl(config)}`);
    }
    if (options.telephony) {
      progress(
        config.TELEPHONY_SHARED
          ? 'telephony: rendering prompts; the shared rtpengine and Kamailio…'
          : 'telephony: rendering prompts, starting rtpengine and Kamailio…',
      );
      const log = logger.child({ component: 'telephony' });
      const telephonyNode = `${hostname()}:${config.SIP_NODE_PORT}`;
      telephony = await startTelephony({
        calls: callRecords,
        flowsDir: path.join(packageRoot(), 'reference', 'ivr'),
        ivrFlows,
        kamailioTemplate: path.join(packageRoot(), 'deploy', 'kamailio', 'kamailio.cfg'),
        routing,
        dataDir: path.join(config.dataDir, 'telephony'),
        node: telephonyNode,
        clock: () => new Date(),
        timeZone: config.CENTER_TIME_ZONE,
        // Call ids and statuses only: numbers and what callers pressed stay in the call records.
        // A call that failed, or could not be saved or adopted, is a warning: an operator looks at those.
        log: (event, details) => (TELEPHONY_WARNINGS.has(event) ? log.warn : log.info).call(log, { event, ...details }, event),
        sip: { host: '127.0.0.1', port: config.SIP_NODE_PORT },
        edge: {
          host: config.SIP_EDGE_BIND,
          port: config.SIP_EDGE_PORT,
          tls: edgeTls(config),
          carrierAllow: carrierAllow(config),
          advertise: config.SIP_EDGE_ADVERTISE ? { host: config.SIP_EDGE_ADVERTISE, port: config.SIP_EDGE_PORT } : null,
        },
        rtpengine: {
          host: '127.0.0.1',
          port: config.RTPENGINE_NG_PORT,
          portMin: config.RTP_PORT_MIN,
          portMax: config.RTP_PORT_MAX,
          dtmfPort: config.RTPENGINE_DTMF_PORT,
          ...(config.RTPENGINE_TCP_NG_PORT ? { tcpPort: config.RTPENGINE_TCP_NG_PORT } : {}),
        },
        shared: config.TELEPHONY_SHARED,
        phones: phoneDirectory,
        ...(config.SIP_EDGE_CTL ? { edgeCtl: config.SIP_EDGE_CTL } : {}),
        sipRealm: config.SIP_AUTH_REALM,
        websocket: softphoneHere ? { host: '127.0.0.1', port: config.SOFTPHONE_WS_PORT } : null,
        callbacks,
        outbound: outboundConfig(config),
        interpreter:
          config.INTERPRETER_NUMBER && config.OUTBOUND_CALLER_ID
            ? { number: config.INTERPRETER_NUMBER, callerId: config.OUTBOUND_CALLER_ID }
            : null,
      }).catch((error: unknown) => {
        throw new StartupError(`telephony could not start: ${error instanceof Error ? error.message : String(error)}`);
      });
      liveCalls.current = telephony.live;
      liveCalls.node = telephonyNode;
      const edgeCtl = telephony.edgeCtl;
      if (edgeCtl) {
        // What an operator watches at the edge: calls refused as not from a listed carrier trunk (a trunk's new
        // address, a scan). Kamailio counts them; the figure is read at each scrape.
        new Counter({
          name: 'switchboard_sip_edge_refused_calls_total',
          help: 'New calls the SIP edge refused (403) because they came from an address outside the carrier access list (SIP_CARRIER_ALLOW)',
          registers: [metrics.registry],
          async collect() {
            const refused = await edgeRefusedCalls(edgeCtl).catch(() => null);
            this.reset();
            if (refused !== null) this.inc(refused);
          },
        });
      }
      // Supervisors and agents whose requests reach another node act on this node's calls through it.
      stopRelay = await serveLiveCalls(
        new LiveCallRelay({ db: storage.handle.db, pool: storage.handle.pool }),
        telephonyNode,
        telephony.live,
        (event, details) => log.warn({ event, ...details }, event),
      );
      progress(
        `telephony: SIP edge on udp and tcp ${config.SIP_EDGE_BIND}:${config.SIP_EDGE_PORT}${
          edgeTls(config) ? `, tls ${config.SIP_EDGE_BIND}:${config.SIP_EDGE_TLS_PORT}` : ''
        }; carrier trunks from ${config.SIP_CARRIER_ALLOW} (lines ${[...telephony.control.lines()].join(', ')}); call control on ${config.SIP_NODE_PORT}; rtpengine ng on ${config.RTPENGINE_NG_PORT}`,
      );
    }
    progress(
      `ready: ${config.HTTPS_CERT_FILE ? 'https' : 'http'}://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${config.PORT} (API docs at /api/docs)`,
    );
  } catch (error) {
    await sealer?.stop().catch(() => undefined);
    await jobs?.stop().catch(() => undefined);
    await stopRelay?.().catch(() => undefined);
    await telephony?.stop().catch(() => undefined);
    if (redirect) await stopHttpsRedirect(redirect).catch(() => undefined);
    await app?.close().catch(() => undefined);
    await simulation?.stop().catch(() => undefined);
    await routing?.stop().catch(() => undefined);
    await storage.close().catch(() => undefined);
    throw error;
  }
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    void shutdown('uncaughtException', 1);
  });
  process.on('unhandledRejection', (error) => {
    logger.fatal({ err: error }, 'unhandled rejection');
    void shutdown('unhandledRejection', 1);
  });
}

/** A PEM file named by the configuration, or a start-up error naming the key (not the file's content). */
function readPem(key: string, file: string): Buffer {
  try {
    return readFileSync(path.resolve(file));
  } catch (error) {
    throw new StartupError(`${key} cannot be read (${error instanceof Error && 'code' in error ? String(error.code) : 'error'}): ${file}`);
  }
}

type Logger = Pick<pino.BaseLogger, 'info' | 'warn' | 'error'>;

/**
 * What happens to the database, in the log: the embedded server's supervisor (death, restart, failed attempts)
 * and connections whose server went away — once per outage, not once per pooled connection.
 */
function databaseWatch(logger: Logger): NonNullable<StorageOptions['watch']> {
  let lastConnectionWarning = 0;
  return {
    onServerEvent: (event) => {
      if (event.type === 'died') logger.error({ pid: event.pid }, 'the embedded database server stopped unexpectedly; restarting it');
      else if (event.type === 'restarted')
        logger.warn({ pid: event.pid, port: event.port, attempts: event.attempts }, 'the embedded database server is running again');
      else
        logger.error(
          { attempts: event.attempts, reason: event.error, retryInMs: event.retryInMs },
          'the embedded database server could not be restarted; trying again',
        );
    },
    onConnectionError: (error) => {
      const now = Date.now();
      if (now - lastConnectionWarning < 10_000) return;
      lastConnectionWarning = now;
      logger.warn({ reason: error.message }, 'a database connection was lost; new queries reconnect');
    },
  };
}
