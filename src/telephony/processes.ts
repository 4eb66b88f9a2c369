import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RtpengineClient } from './media/rtpengine.js';
import { sipPing } from './sip/ping.js';

/**
 * The media server and the SIP edge as child processes, for development and
 * tests: Debian's rtpengine (userspace only, no kernel module) and Kamailio,
 * both on loopback, both stopped with their parent. Each waits until it
 * answers (ng ping; SIP OPTIONS) before it counts as started.
 */

export type Service = { name: string; child: ChildProcess; output: () => string; stop: () => Promise<void> };

/** Process groups still running: killed when this process exits, however it exits short of SIGKILL. */
const live = new Set<number>();
let exitHook = false;
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function start(name: string, command: string, args: string[]): Service {
  // Its own process group, so that stopping it stops every process it forked (Kamailio's workers).
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const pid = child.pid;
  if (pid) live.add(pid);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const p of live) killGroup(p, 'SIGKILL');
    });
  }
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (error) => keep(Buffer.from(`spawn failed: ${error.message}\n`)));
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      if (pid) {
        killGroup(pid, 'SIGKILL'); // any worker the main process left behind
        live.delete(pid);
      }
      resolve();
    }),
  );
  return {
    name,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (pid) killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => pid && killGroup(pid, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitUntil(what: string, service: Service, ready: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (service.child.exitCode !== null) throw new Error(`${what} exited (${service.child.exitCode}): ${service.output().slice(-2_000)}`);
    if (await ready().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  await service.stop();
  throw new Error(`${what} did not become ready in ${ms} ms: ${service.output().slice(-2_000)}`);
}

export type RtpengineOptions = {
  ng: { host: string; port: number };
  portMin: number;
  portMax: number;
  dtmfLogPort: number;
  recordingDir: string;
};

export async function startRtpengine(o: RtpengineOptions): Promise<Service> {
  mkdirSync(o.recordingDir, { recursive: true });
  const service = start('rtpengine', 'rtpengine', [
    '--config-file=none',
    `--interface=${o.ng.host}`,
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
    `--dtmf-log-dest=${o.ng.host}:${o.dtmfLogPort}`,
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

export type KamailioOptions = {
  listen: { host: string; port: number };
  nodes: { host: string; port: number }[];
  rtpengine: { host: string; port: number };
  dir: string;
  /** The configuration template (deploy/kamailio/kamailio.cfg in the package), filled in at start. */
  template: string;
  children?: number;
};

const MODULES = ['/usr/lib/x86_64-linux-gnu/kamailio/modules/', '/usr/lib/kamailio/modules/', '/usr/lib64/kamailio/modules/'];

/** Writes the edge's configuration from deploy/kamailio/kamailio.cfg and the dispatcher list of call-control nodes. */
export function writeKamailioConfig(o: KamailioOptions): { cfg: string; ctl: string; dispatcher: string } {
  mkdirSync(o.dir, { recursive: true });
  const dispatcher = path.join(o.dir, 'dispatcher.list');
  writeFileSync(dispatcher, `${o.nodes.map((n) => `1 sip:${n.host}:${n.port} 0 0`).join('\n')}\n`);
  const ctl = path.join(o.dir, 'kamailio_ctl');
  const modules = MODULES.find((m) => existsSync(m)) ?? MODULES[0];
  const template = readFileSync(o.template, 'utf8');
  const cfg = path.join(o.dir, 'kamailio.cfg');
  writeFileSync(
    cfg,
    template
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
