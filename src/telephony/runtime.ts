import path from 'node:path';
import type { CallRecordService } from '../services/call-record.service.js';
import type { CallbackService } from '../services/callback.service.js';
import type { IvrFlows } from '../services/ivr-flow.service.js';
import type { RoutingService } from '../services/routing.service.js';
import { attachSip } from './adapters/sip-front.js';
import { CallControl } from './call-control.js';
import { telephonyContext } from './call-session.js';
import { CallbackDialer, type OutboundConfig } from './callback-dialer.js';
import { EdgePhones, type PhoneCredentialSource } from './edge-phones.js';
import { loadFlows } from './ivr-flows.js';
import { type InterpreterLine, LiveCalls } from './live-calls.js';
import { MediaGateway } from './media/media-gateway.js';
import { mixedRecordingOf } from './media/pcap-mix.js';
import { PromptLibrary } from './media/prompts.js';
import { RtpengineClient } from './media/rtpengine.js';
import { type EdgeTls, type Service, startKamailio, startRtpengine } from './processes.js';
import { SipEndpoint } from './sip/endpoint.js';

/**
 * Telephony for `switchboard start --telephony` and the SIP test suites: the
 * prompts rendered, rtpengine started, a call-control node listening for SIP,
 * and Kamailio in front of it (unless `edge` is null). Everything on
 * loopback; `stop()` ends the calls, then the edge, the node and the media
 * server, in that order.
 */

export type TelephonyOptions = {
  /** The call record (the composition root builds it over the database and the routing service). */
  calls: CallRecordService;
  routing: RoutingService;
  dataDir: string;
  node: string;
  clock: () => Date;
  /** The center's time zone (CENTER_TIME_ZONE). */
  timeZone: string;
  log: (event: string, details: Record<string, unknown>) => void;
  /** The call-control node's SIP address (port 0: any free port). */
  sip: { host: string; port: number };
  /**
   * The SIP edge (Kamailio); null runs the node alone. `host` is its bind address (loopback by default); `tls` adds SIP
   * over TLS; `carrierAllow` is the carrier access list (default: this machine's loopback address); `advertise` the
   * address it names behind NAT.
   */
  edge: {
    host: string;
    port: number;
    tls?: EdgeTls | null;
    carrierAllow?: string[];
    advertise?: { host: string; port: number } | null;
  } | null;
  /** Other call-control nodes the edge balances over, besides this one. */
  peers?: { host: string; port: number }[];
  /** `tcpPort`: rtpengine's TCP ng port, whose every client hears every key (nodes sharing one rtpengine); unset: keys by UDP to `dtmfPort`. */
  rtpengine: {
    host: string;
    port: number;
    portMin: number;
    portMax: number;
    dtmfPort?: number;
    tcpPort?: number;
    /** A shared rtpengine's recording folder, as mounted on this node (its own rtpengine's is under dataDir). */
    recordingDir?: string;
  };
  /**
   * The edge and rtpengine are shared by several nodes and run by someone else (a cluster): this node neither starts
   * nor stops them. `edge` is then where agents' phones are reached; `peers` is ignored.
   */
  shared?: boolean;
  /** Callbacks kept: with `outbound`, this node dials the callbacks agents accept. */
  callbacks?: CallbackService;
  /** Outbound calls: the carrier trunk the edge sends them to, the caller ID, the allow-list and the ring time. */
  outbound?: (OutboundConfig & { carrier: { host: string; port: number } | null }) | null;
  /** The interpreter service's number (through the carrier trunk) and the caller ID to call it from; none: no interpreter legs. */
  interpreter?: InterpreterLine | null;
  /** The IVR flows (reference/ivr in the package). */
  flowsDir: string;
  /** The flows' versions from the admin console: the call control's flow map is attached to them. */
  ivrFlows?: IvrFlows;
  /** Kamailio's configuration template (deploy/kamailio/kamailio.cfg in the package). */
  kamailioTemplate: string;
  /** The phones' digest credentials the edge checks (none: no phone can register). */
  phones?: PhoneCredentialSource | null;
  /** A shared edge's control socket (SIP_EDGE_CTL): this node keeps its phone credentials up to date. */
  edgeCtl?: string;
  /** The digest realm phones authenticate in (SIP_AUTH_REALM; default "switchboard"). */
  sipRealm?: string;
  /** The edge's SIP-over-WebSocket transport for the agent desktop's softphone (SOFTPHONE_WS_PORT); none: no softphone. */
  websocket?: { host: string; port: number } | null;
};

export type Telephony = {
  endpoint: SipEndpoint;
  /** Dials the callbacks agents accept (when callbacks and outbound calls are configured). */
  dialer: CallbackDialer | null;
  /** The connected calls, for supervisors (monitor, whisper, barge) and interpreters. */
  live: LiveCalls;
  control: CallControl;
  gateway: MediaGateway;
  prompts: PromptLibrary;
  services: Service[];
  /** The control socket of the edge this node started (its statistics, its dispatcher); null: none started here. */
  edgeCtl: string | null;
  /** Brings the edge's phone credentials up to date (another node's change); resolves at once without an edge. */
  syncPhones: () => Promise<void>;
  stop: () => Promise<void>;
  /**
   * Stops this node and hands its calls to the others (edge and rtpengine shared): nothing is said to the callers or
   * the agents, the media stays in rtpengine; resolves with the number of calls handed over.
   */
  handOver: () => Promise<number>;
};

export async function startTelephony(o: TelephonyOptions): Promise<Telephony> {
  await PromptLibrary.checkTools();
  const { flows, prompts: catalog } = loadFlows(o.flowsDir);
  await o.ivrFlows?.attach(flows);
  const prompts = new PromptLibrary(catalog, path.join(o.dataDir, 'prompts'));
  await prompts.renderAll();
  const services: Service[] = [];
  const cleanup: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  };
  try {
    const rtpClient = await RtpengineClient.open({ host: o.rtpengine.host, port: o.rtpengine.port });
    cleanup.push(() => rtpClient.close());
    const tcp = o.rtpengine.tcpPort ? { host: o.rtpengine.host, port: o.rtpengine.tcpPort } : undefined;
    const gatewayOptions = { dtmfPort: o.rtpengine.dtmfPort ?? 0 };
    let gateway: MediaGateway;
    if (!o.shared) {
      gateway = await MediaGateway.open(rtpClient, gatewayOptions);
      cleanup.push(() => gateway.close());
      const rtpengine = await startRtpengine({
        ng: { host: o.rtpengine.host, port: o.rtpengine.port },
        portMin: o.rtpengine.portMin,
        portMax: o.rtpengine.portMax,
        // Keys one way only: by TCP to every node when that port is on, else by UDP to this one.
        dtmfLogPort: tcp ? 0 : gateway.dtmfPort,
        ...(tcp ? { tcpNgPort: tcp.port } : {}),
        recordingDir: path.join(o.dataDir, 'recordings'),
        // Callers' media reaches rtpengine where their signalling reaches the edge (the advertised address behind NAT).
        ...(o.edge ? { mediaAddress: o.edge.advertise?.host ?? o.edge.host } : {}),
      });
      services.push(rtpengine);
      cleanup.push(() => rtpengine.stop());
      if (tcp) await gateway.hearKeysFrom(tcp);
    } else {
      if (!(await rtpClient.ping())) throw new Error(`the shared rtpengine does not answer on ${o.rtpengine.host}:${o.rtpengine.port}`);
      gateway = await MediaGateway.open(rtpClient, { ...gatewayOptions, ...(tcp ? { dtmfTcp: tcp } : {}) });
      cleanup.push(() => gateway.close());
    }
    // Recorded conversations are mixed from rtpengine's pcap once the call is over (this node's rtpengine, or the
    // shared one's folder when it is mounted here: RTPENGINE_RECORDING_DIR).
    const recordingDir = o.shared ? (o.rtpengine.recordingDir ?? null) : path.join(o.dataDir, 'recordings');
    let live: LiveCalls | null = null;
    const control = new CallControl({
      // A caller who asked for another language: the interpreter joins as soon as the agent has answered.
      onConnected: (session) => {
        if (session.vars.interpreter !== true || !o.interpreter || !session.recordId) return;
        const language = typeof session.vars.interpreterLanguage === 'string' ? session.vars.interpreterLanguage : 'unspecified';
        void live?.interpreter(session.recordId, language).catch((error: unknown) => o.log('interpreter_failed', { error: String(error) }));
      },
      archiveRecording: recordingDir
        ? async (recordId, ref) => {
            const callId = ref.replace(/^rtpengine:/, '');
            const mixed = await mixedRecordingOf(recordingDir, callId);
            if (mixed)
              await o.calls.recordingArchived(telephonyContext({ node: o.node, clock: o.clock, timeZone: o.timeZone }), recordId, mixed);
            else o.log('recording_not_found', { callId });
          }
        : undefined,
      calls: o.calls,
      routing: o.routing,
      prompts,
      flows,
      node: o.node,
      clock: o.clock,
      timeZone: o.timeZone,
      log: o.log,
    });
    await control.recover();
    control.start();
    cleanup.push(() => control.stop());
    const endpoint = await SipEndpoint.open({ host: o.sip.host, port: o.sip.port, log: o.log });
    cleanup.push(() => endpoint.close());
    attachSip(endpoint, control, gateway, o.log, o.edge ? { address: o.edge.host, port: o.edge.port } : null);
    live = new LiveCalls(
      control,
      gateway,
      endpoint,
      o.edge ? { address: o.edge.host, port: o.edge.port } : { address: o.sip.host, port: endpoint.port },
      o.interpreter ?? null,
      o.outbound ? { callerId: o.outbound.callerId, allow: o.outbound.allow } : null,
      o.log,
    );
    const liveCalls = live;
    let dialer: CallbackDialer | null = null;
    let edgePhones: EdgePhones | null = null;
    const followPhones = async (ctl: string, source: PhoneCredentialSource) => {
      const phones = new EdgePhones(ctl, source, o.log);
      await phones.sync();
      const unsubscribe = source.subscribe(() => phones.sync());
      cleanup.push(async () => unsubscribe());
      return phones;
    };
    if (o.callbacks && o.outbound && o.edge) {
      const d = new CallbackDialer({
        callbacks: o.callbacks,
        calls: o.calls,
        routing: o.routing,
        endpoint,
        gateway,
        edge: { address: o.edge.host, port: o.edge.port },
        outbound: o.outbound,
        node: o.node,
        clock: o.clock,
        timeZone: o.timeZone,
        log: o.log,
      });
      d.start();
      dialer = d;
      // Before the node's calls end and its endpoint closes: the callbacks in progress hang up first.
      cleanup.push(() => d.stop());
    }
    let edgeCtl: string | null = null;
    if (o.edge && !o.shared) {
      const kamailio = await startKamailio({
        listen: { host: o.edge.host, port: o.edge.port },
        tls: o.edge.tls ?? null,
        advertise: o.edge.advertise ?? null,
        ...(o.edge.carrierAllow ? { carrierAllow: o.edge.carrierAllow } : {}),
        nodes: [{ host: o.sip.host, port: endpoint.port }, ...(o.peers ?? [])],
        rtpengine: { host: o.rtpengine.host, port: o.rtpengine.port },
        carrier: o.outbound?.carrier ?? null,
        dir: path.join(o.dataDir, 'kamailio'),
        template: o.kamailioTemplate,
        ...(o.sipRealm ? { realm: o.sipRealm } : {}),
        websocket: o.websocket ?? null,
      });
      services.push(kamailio);
      cleanup.push(() => kamailio.stop());
      edgeCtl = kamailio.ctl;
      if (o.phones) edgePhones = await followPhones(kamailio.ctl, o.phones);
    } else if (o.shared && o.edgeCtl && o.phones) edgePhones = await followPhones(o.edgeCtl, o.phones);
    const handOver = async () => {
      await dialer?.stop();
      const handed = await control.handOver();
      await endpoint.abort();
      await stopAll();
      return handed;
    };
    const syncPhones = () => edgePhones?.sync() ?? Promise.resolve();
    return { endpoint, dialer, live: liveCalls, control, gateway, prompts, services, edgeCtl, syncPhones, stop: stopAll, handOver };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
