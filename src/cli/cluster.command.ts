import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { type HaDatabase, startHaDatabase } from '../cluster/ha-database.js';
import { type Service, startService } from '../platform/child-services.js';
import { packageRoot } from '../storage/paths.js';
import { startSharedEdge, waitDispatching } from '../telephony/processes.js';
import { StartupError } from './storage-runtime.js';

/**
 * `switchboard cluster up`: the production shape on this machine, from Debian's packages — etcd, two PostgreSQL 15
 * members under Patroni with synchronous replication, HAProxy in front of the primary, and N Switchboard nodes on
 * it (HTTP ports PORT, PORT+1, …), each a `switchboard start` process. One routing leader among the nodes (the
 * lease); jobs on the leader. It runs in the foreground until SIGINT/SIGTERM, then stops everything. Each run is a
 * new cluster in a new, empty folder (passwords generated, never printed). With `--telephony`, one rtpengine and one
 * Kamailio shared by the nodes: the edge on SIP_EDGE_PORT dispatches calls to every node's call control (SIP ports
 * SIP_NODE_PORT, +1, …), every node hears every key through rtpengine's TCP ng port, and a call outlives its node.
 */

export type ClusterUpOptions = {
  dir: string;
  nodes: number;
  port: number;
  demo: boolean;
  leaseMs: number;
  logLevel: string;
  /** What the nodes inherit from this process's environment (PATH, HOME), read by cli/main.ts. */
  inherit: Record<string, string>;
  /** The shared SIP edge and media server, and each node's call control (SIP ports sipNodePort, +1, …); null: no telephony. */
  telephony: {
    sipEdgePort: number;
    sipNodePort: number;
    rtpengineNgPort: number;
    rtpengineTcpNgPort: number;
    rtpPortMin: number;
    rtpPortMax: number;
  } | null;
};

const ready = async (port: number): Promise<{ role?: string } | undefined> =>
  fetch(`http://127.0.0.1:${port}/readyz`).then(
    async (res) => (res.status === 200 ? (((await res.json()) as { routing?: { role?: string } }).routing ?? {}) : undefined),
    () => undefined,
  );

async function waitReady(port: number, node: Service, timeoutMs: number): Promise<string> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (node.child.exitCode !== null) throw new StartupError(`${node.name} exited:\n${node.output().slice(-2000)}`);
    const answer = await ready(port);
    if (answer) return answer.role ?? 'unknown';
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new StartupError(`${node.name} was not ready on port ${port} within ${timeoutMs / 1000} s:\n${node.output().slice(-2000)}`);
}

export async function clusterUp(o: ClusterUpOptions, progress: (line: string) => void): Promise<void> {
  if (existsSync(o.dir) && readdirSync(o.dir).length > 0) {
    throw new StartupError(`${o.dir} is not empty: a cluster starts in a new folder (give --dir another one)`);
  }
  mkdirSync(o.dir, { recursive: true });
  // Run as root, the database services run as Debian's `postgres` account, which must pass through this folder.
  chmodSync(o.dir, 0o755);
  const secret = () => randomBytes(18).toString('hex');
  progress('starting etcd, two PostgreSQL members under Patroni (synchronous replication) and HAProxy…');
  let ha: HaDatabase | undefined;
  const nodes: Service[] = [];
  /** The shared edge and media server, stopped after the nodes. */
  const edge: Service[] = [];
  /** The edge's control socket, to see which nodes its dispatcher has marked active. */
  let edgeCtl: string | null = null;
  let stopping = false;
  const stop = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    progress('stopping the nodes, then the database cluster…');
    for (const node of nodes.reverse()) await node.stop().catch(() => undefined);
    for (const service of edge.reverse()) await service.stop().catch(() => undefined);
    await ha?.stop().catch(() => undefined);
    progress('stopped');
    process.exit(exitCode);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  try {
    ha = await startHaDatabase({
      dir: path.join(o.dir, 'database'),
      passwords: { superuser: secret(), replication: secret(), owner: secret(), app: secret() },
    });
    progress(`database: primary ${await ha.primary()}, standby in sync, HAProxy on 127.0.0.1:${ha.haproxyPort}`);
    const t = o.telephony;
    const nodeSip = (i: number) => ({ host: '127.0.0.1', port: (t?.sipNodePort ?? 0) + i });
    if (t) {
      const [media, kamailio] = await startSharedEdge({
        sip: { host: '127.0.0.1', port: t.sipEdgePort },
        rtpengine: {
          host: '127.0.0.1',
          port: t.rtpengineNgPort,
          tcpPort: t.rtpengineTcpNgPort,
          portMin: t.rtpPortMin,
          portMax: t.rtpPortMax,
        },
        nodes: Array.from({ length: o.nodes }, (_, i) => nodeSip(i)),
        dir: o.dir,
        template: path.join(packageRoot(), 'deploy', 'kamailio', 'kamailio.cfg'),
      });
      edge.push(media, kamailio);
      edgeCtl = kamailio.ctl;
      progress(
        `telephony: SIP edge on udp 127.0.0.1:${t.sipEdgePort} dispatching to ${o.nodes} nodes (SIP ${t.sipNodePort}–${t.sipNodePort + o.nodes - 1}); rtpengine ng ${t.rtpengineNgPort} (keys to every node on tcp ${t.rtpengineTcpNgPort})`,
      );
    }
    const key = randomBytes(32).toString('hex');
    const cli = process.argv[1] ?? '';
    for (let i = 0; i < o.nodes; i++) {
      const name = `node-${i + 1}`;
      const port = o.port + i;
      const dataDir = path.join(o.dir, name);
      mkdirSync(dataDir, { recursive: true });
      const args = [cli, 'start', ...(o.demo && i === 0 ? [] : ['--no-demo']), ...(t ? ['--telephony'] : [])];
      const node = startService(name, process.execPath, args, {
        env: {
          ...o.inherit,
          LOG_LEVEL: o.logLevel,
          PORT: String(port),
          SWITCHBOARD_DATA_DIR: dataDir,
          DATABASE_URL: ha.url,
          DATABASE_MIGRATION_URL: ha.migrationUrl,
          SWITCHBOARD_SECRET_KEY: key,
          SWITCHBOARD_NODE_ID: name,
          ROUTING_LEASE_MS: String(o.leaseMs),
          ...(t
            ? {
                TELEPHONY_SHARED: 'true',
                SIP_EDGE_PORT: String(t.sipEdgePort),
                SIP_NODE_PORT: String(t.sipNodePort + i),
                RTPENGINE_NG_PORT: String(t.rtpengineNgPort),
                RTPENGINE_TCP_NG_PORT: String(t.rtpengineTcpNgPort),
                // Every node keeps the shared edge's phone credentials up to date through its control socket.
                ...(edgeCtl ? { SIP_EDGE_CTL: edgeCtl } : {}),
              }
            : {}),
        },
      });
      nodes.push(node);
      // One at a time: the first applies the migrations (and adds the demo data), the others find them done.
      const role = await waitReady(port, node, 300_000);
      progress(`${name}: http://127.0.0.1:${port} (routing ${role})`);
    }
    if (edgeCtl) {
      // Ready nodes are not yet callable: the edge sends calls to a node once it has answered an OPTIONS probe.
      await waitDispatching(
        edgeCtl,
        Array.from({ length: o.nodes }, (_, i) => nodeSip(i)),
      ).catch((error: unknown) => {
        throw new StartupError(error instanceof Error ? error.message : String(error));
      });
      progress(`telephony: the edge dispatches to all ${o.nodes} nodes`);
    }
    progress('cluster up; SIGINT or SIGTERM (Ctrl-C) stops it');
    for (const node of nodes) {
      node.child.once('exit', (code, signal) => {
        if (!stopping) progress(`${node.name} exited (${signal ?? code}): the others keep serving`);
      });
    }
  } catch (error) {
    for (const node of nodes.reverse()) await node.stop().catch(() => undefined);
    for (const service of edge.reverse()) await service.stop().catch(() => undefined);
    await ha?.stop().catch(() => undefined);
    throw error;
  }
}
