import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Services Switchboard runs as child processes — the SIP edge and media
 * server (telephony), and on a developer's or a test's loopback cluster
 * etcd, Patroni and HAProxy (src/cluster) — each in its own process group, so
 * stopping it stops every process it forked, and all are killed when this
 * process exits (short of SIGKILL).
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

export function startService(
  name: string,
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Service {
  // Its own process group, so that stopping it stops every process it forked (Kamailio's workers).
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...options });
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

export async function waitForService(what: string, service: Service, ready: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (service.child.exitCode !== null) throw new Error(`${what} exited (${service.child.exitCode}): ${service.output().slice(-2_000)}`);
    if (await ready().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  await service.stop();
  throw new Error(`${what} did not become ready in ${ms} ms: ${service.output().slice(-2_000)}`);
}
