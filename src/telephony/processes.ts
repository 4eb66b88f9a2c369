import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Service, startService as start, waitForService as waitUntil } from '../platform/child-services.js';
import { RtpengineClient } from './media/rtpengine.js';
import { sipPing } from './sip/ping.js';

export type { Service };

/**
 * The media server and the SIP edge as child processes, for development and
 * tests: Debian's rtpengine (userspace only, no kernel module) and Kamailio,
 * both on loopback, both stopped with their parent. Each waits until it
 * answers (ng ping; SIP OPTIONS) before it counts as started.
 */

export type RtpengineOptions = {
  ng: { host: string; port: number };
  portMin: number;
  portMax: number;
  /** Where rtpengine sends each key as a UDP datagram (one node); 0: nowhere. */
  dtmfLogPort: number;
  /** A TCP ng port whose clients all get each key ("onDTMF"): for nodes sharing the rtpengine. */
  tcpNgPort?: number;
  recordingDir: string;
  /** The address rtpengine puts in SDP and receives media on (the edge's public address); default the ng host. */
  mediaAddress?: string;
};

export async function startRtpengine(o: RtpengineOptions): Promise<Service> {
  mkdirSync(o.recordingDir, { recursive: true });
  const service = start('rtpengine', 'rtpengine', [
    '--config-file=none',
    `--interface=${o.mediaAddress ?? o.ng.host}`,
    `--listen-ng=${o.ng.host}:${o.ng.port}`,
    '--foreground',
    '--log-stderr',
    '--table=-1',
    `--port-min=${o.portMin}`,
    `--port-max=${o.portMax}`,
    '--delete-delay=0',
    '--timeout=60',
    '--log-level=5',
    '--num-threads=2',
    ...(o.dtmfLogPort ? [`--dtmf-log-dest=${o.ng.host}:${o.dtmfLogPort}`] : []),
    ...(o.tcpNgPort ? [`--listen-tcp-ng=${o.ng.host}:${o.tcpNgPort}`, '--dtmf-log-ng-tcp'] : []),
    `--recording-dir=${o.recordingDir}`,
    '--recording-method=pcap',
  ]);
  const probe = await RtpengineClient.open(o.ng, 300);
  try {
    await waitUntil('rtpengine', service, () => probe.ping());
  } finally {
    await probe.close();
  }
  return service;
}

/** SIP over TLS on the edge: its port and the PEM files of its certificate (chain) and private key. */
export type EdgeTls = { port: number; certificate: string; privateKey: string };

/** The trunks that may send calls in by default: this machine's own address (the test callers, a local carrier). */
export const DEFAULT_CARRIER_ALLOW = ['127.0.0.1/32'];

export type KamailioOptions = {
  /** Where the edge listens (UDP and TCP): an address of this machine, loopback by default. */
  listen: { host: string; port: number };
  /** The address and port the edge names in its headers, when it is reached through NAT (`advertise`); none: `listen`. */
  advertise?: { host: string; port: number } | null;
  /** SIP over TLS (the `tls` module); none: UDP and TCP only. */
  tls?: EdgeTls | null;
  /** The carrier access list: addresses or networks (a.b.c.d or a.b.c.d/n) new calls may come from. Default: DEFAULT_CARRIER_ALLOW. */
  carrierAllow?: string[];
  nodes: { host: string; port: number }[];
  rtpengine: { host: string; port: number };
  /** The carrier trunk outbound calls (callbacks) go to; none: the edge refuses them (503). */
  carrier?: { host: string; port: number } | null;
  dir: string;
  /** The configuration template (deploy/kamailio/kamailio.cfg in the package), filled in at start. */
  template: string;
  children?: number;
  /** The digest realm phones authenticate in (default "switchboard"). */
  realm?: string;
  /** Where the agent desktop's softphone connects (SIP over WebSocket, TCP); none: no WebSocket transport. */
  websocket?: { host: string; port: number } | null;
};

const MODULES = ['/usr/lib/x86_64-linux-gnu/kamailio/modules/', '/usr/lib/kamailio/modules/', '/usr/lib64/kamailio/modules/'];

/**
 * The permissions module's address file: group 1 is the carrier access list, one `group address mask port` line per
 * entry (port 0: any). A malformed entry throws: a typo must not open the edge, nor silently close it.
 */
export function carrierAddressFile(entries: string[]): string {
  const lines = entries.map((entry) => {
    const m = /^(\d{1,3}(?:\.\d{1,3}){3})(?:\/(\d{1,2}))?$/.exec(entry.trim());
    const mask = m ? Number(m[2] ?? 32) : Number.NaN;
    if (!m || mask > 32 || (m[1] as string).split('.').some((b) => Number(b) > 255))
      throw new Error(`carrier access list: "${entry}" is not an IPv4 address or network (a.b.c.d or a.b.c.d/n)`);
    return `1 ${m[1]} ${mask} 0`;
  });
  return `# Carrier access list (group 1), written by Switchboard from SIP_CARRIER_ALLOW.\n${lines.join('\n')}\n`;
}

/** Writes the edge's configuration from deploy/kamailio/kamailio.cfg and the dispatcher list of call-control nodes. */
export function writeKamailioConfig(o: KamailioOptions): { cfg: string; ctl: string; dispatcher: string } {
  mkdirSync(o.dir, { recursive: true });
  const dispatcher = path.join(o.dir, 'dispatcher.list');
  writeFileSync(dispatcher, `${o.nodes.map((n) => `1 sip:${n.host}:${n.port} 0 0`).join('\n')}\n`);
  const addressFile = path.join(o.dir, 'address.list');
  writeFileSync(addressFile, carrierAddressFile(o.carrierAllow ?? DEFAULT_CARRIER_ALLOW));
  const advertise = (port: number) => (o.advertise ? ` advertise ${o.advertise.host}:${port}` : '');
  const ctl = path.join(o.dir, 'kamailio_ctl');
  const modules = MODULES.find((m) => existsSync(m)) ?? MODULES[0];
  const template = readFileSync(o.template, 'utf8');
  const cfg = path.join(o.dir, 'kamailio.cfg');
  writeFileSync(
    cfg,
    template
      .replaceAll(
        '@@CARRIER_DEFINE@@',
        o.carrier ? `#!define CARRIER_URI "sip:${o.carrier.host}:${o.carrier.port}"` : '# (no carrier trunk: outbound calls are refused)',
      )
      .replaceAll('@@EDGE_DEFINES@@', o.tls ? '#!define WITH_TLS' : '# (no certificate: no SIP over TLS)')
      .replaceAll('@@ADVERTISE@@', advertise(o.advertise?.port ?? o.listen.port))
      .replaceAll('@@TLS_ADVERTISE@@', o.tls ? advertise(o.tls.port) : '')
      .replaceAll('@@TLS_LISTEN@@', o.tls ? `${o.listen.host}:${o.tls.port}` : '')
      .replaceAll('@@TLS_CERTIFICATE@@', o.tls ? path.resolve(o.tls.certificate) : '')
      .replaceAll('@@TLS_PRIVATE_KEY@@', o.tls ? path.resolve(o.tls.privateKey) : '')
      .replaceAll('@@ADDRESS_FILE@@', addressFile)
      .replaceAll('@@WEBSOCKET_DEFINE@@', o.websocket ? '#!define WITH_WEBSOCKET' : '# (no WebSocket transport: no softphone)')
      .replaceAll('@@WS_LISTEN@@', o.websocket ? `${o.websocket.host}:${o.websocket.port}` : '127.0.0.1:0')
      .replaceAll('@@REALM@@', o.realm ?? 'switchboard')
      .replaceAll('@@LISTEN@@', `${o.listen.host}:${o.listen.port}`)
      .replaceAll('@@CHILDREN@@', String(o.children ?? 4))
      .replaceAll('@@MODULES@@', modules as string)
      .replaceAll('@@CTL@@', ctl)
      .replaceAll('@@DISPATCHER@@', dispatcher)
      .replaceAll('@@RTPENGINE@@', `${o.rtpengine.host}:${o.rtpengine.port}`),
  );
  return { cfg, ctl, dispatcher };
}

export async function startKamailio(o: KamailioOptions): Promise<Service & { ctl: string }> {
  const { cfg, ctl } = writeKamailioConfig(o);
  const service = start('kamailio', 'kamailio', [
    '-DD',
    '-E',
    '-f',
    cfg,
    '-P',
    path.join(o.dir, 'kamailio.pid'),
    '-Y',
    o.dir,
    '-m',
    '256',
    '-M',
    '16',
  ]);
  await waitUntil('kamailio', service, () => sipPing(o.listen, 500));
  return { ...service, ctl };
}

export type SharedEdgeOptions = {
  /** Where callers and agents' phones reach the edge. */
  sip: { host: string; port: number };
  /** rtpengine's ng port (UDP) and its TCP ng port, whose every client hears every key. */
  rtpengine: { host: string; port: number; tcpPort: number; portMin: number; portMax: number };
  /** The call-control nodes the edge dispatches to. */
  nodes: { host: string; port: number }[];
  /** The carrier trunk for outbound calls (callbacks); none: refused. */
  carrier?: { host: string; port: number } | null;
  /** Recordings go to `media/`, Kamailio's files to `kamailio/` in it. */
  dir: string;
  template: string;
};

/**
 * One rtpengine and one Kamailio shared by several call-control nodes (`cluster up --telephony`, the drill, the
 * call-survival test): the edge dispatches to every node; rtpengine sends each key to every node on its TCP ng port
 * and to no UDP port, so that the node that adopts a call hears its caller. Returns the services, stopped in reverse.
 */
export async function startSharedEdge(o: SharedEdgeOptions): Promise<[Service, Service & { ctl: string }]> {
  const rtpengine = await startRtpengine({
    ng: { host: o.rtpengine.host, port: o.rtpengine.port },
    portMin: o.rtpengine.portMin,
    portMax: o.rtpengine.portMax,
    dtmfLogPort: 0,
    tcpNgPort: o.rtpengine.tcpPort,
    recordingDir: path.join(o.dir, 'media'),
  });
  try {
    const kamailio = await startKamailio({
      listen: o.sip,
      nodes: o.nodes,
      rtpengine: { host: o.rtpengine.host, port: o.rtpengine.port },
      carrier: o.carrier ?? null,
      dir: path.join(o.dir, 'kamailio'),
      template: o.template,
    });
    return [rtpengine, kamailio];
  } catch (error) {
    await rtpengine.stop();
    throw error;
  }
}

/** One command to the edge's Kamailio over its control socket (`kamcmd`), with what it printed; 5 s at most. */
export const kamcmd = (ctl: string, ...args: string[]) => promisify(execFile)('kamcmd', ['-s', `unix:${ctl}`, ...args], { timeout: 5_000 });

/**
 * Calls the edge refused because they came from an address outside the carrier access list (its `edge:refused_calls`
 * statistic, read over the control socket): what an operator watches for a misconfigured trunk or a scan.
 */
export async function edgeRefusedCalls(ctl: string): Promise<number> {
  const { stdout } = await kamcmd(ctl, 'stats.get_statistics', 'edge:refused_calls');
  const m = /edge:refused_calls\s*=\s*(\d+)/.exec(stdout);
  if (!m) throw new Error(`the SIP edge has no edge:refused_calls statistic (${stdout.trim().slice(0, 200)})`);
  return Number(m[1]);
}

/**
 * The state of each destination in the edge's dispatcher (`kamcmd dispatcher.list` over its control socket):
 * URI → flags, where a leading `A` is active (the node answered the edge's OPTIONS probe) and `I` inactive.
 */
export async function dispatcherStates(ctl: string): Promise<Map<string, string>> {
  const { stdout } = await kamcmd(ctl, 'dispatcher.list');
  const states = new Map<string, string>();
  for (const m of stdout.matchAll(/URI:\s*(\S+)\s+FLAGS:\s*(\S+)/g)) states.set(m[1] as string, m[2] as string);
  return states;
}

/**
 * Waits until the edge's dispatcher has marked every one of these nodes active. A node is marked on the first
 * OPTIONS probe it answers (every 2 s); until then the edge answers callers 503 — so a cluster is not "up" before.
 */
export async function waitDispatching(ctl: string, nodes: { host: string; port: number }[], ms = 15_000): Promise<void> {
  const wanted = nodes.map((n) => `sip:${n.host}:${n.port}`);
  const end = Date.now() + ms;
  let last = new Map<string, string>();
  while (Date.now() < end) {
    last = await dispatcherStates(ctl).catch(() => last);
    if (wanted.every((uri) => last.get(uri)?.startsWith('A'))) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  const seen = wanted.map((uri) => `${uri} ${last.get(uri) ?? 'absent'}`).join(', ');
  throw new Error(`the SIP edge did not mark every node active within ${ms / 1000} s (${seen})`);
}
