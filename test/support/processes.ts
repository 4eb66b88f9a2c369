import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { isProcessAlive } from '../../src/storage/data-dir-lock.js';
import { packageRoot } from '../../src/storage/paths.js';

/** Helpers for tests that run Switchboard as a real process (the compiled CLI, as `npm start` does). */

export const CLI = path.join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
export const WRITER = path.join(packageRoot(), 'dist', 'test', 'fixtures', 'durability-writer.js');

export function assertBuilt(): void {
  for (const file of [CLI, WRITER]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first (npm test does)`);
  }
}

export type Running = {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

/** Only the variables a user would set: the test runner's own environment stays out. */
export function baseEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'warn', ...extra };
}

export function run(script: string, args: string[], env: Record<string, string>): Running {
  const child = spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Resolves as soon as the process prints the pattern (no polling delay: crash tests kill at an exact step). */
export function waitForOutput(running: Running, stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs = 60_000): Promise<void> {
  const source = stream === 'stdout' ? running.child.stdout : running.child.stderr;
  const text = stream === 'stdout' ? running.stdout : running.stderr;
  return new Promise((resolve, reject) => {
    if (pattern.test(text())) return resolve();
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern} on ${stream}`)), timeoutMs);
    const onData = (): void => {
      if (pattern.test(text())) {
        clearTimeout(timer);
        source?.off('data', onData);
        resolve();
      }
    };
    source?.on('data', onData);
  });
}

export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * A TCP port for a server process's listener (HTTP; rtpengine's TCP ng), from 6000–9999: below the kernel's ephemeral range (32768–60999),
 * where one of the server's own outgoing connections (its database pool, opened during a minute-long demo seed before
 * it listens) could take a port chosen by the kernel between the probe and the listen; and apart from the ranges the
 * other helpers draw from (SIP phones 10000–19999, RTP 20000 and up).
 */
export async function freeHttpPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidate = 6_000 + Math.floor(Math.random() * 4_000);
    if (await canBind('tcp', candidate)) return candidate;
  }
  throw new Error('no free TCP port in 6000–9999');
}

/** Whether a port is free to bind on loopback now, for UDP or TCP. */
export async function canBind(kind: 'udp' | 'tcp', port: number): Promise<boolean> {
  if (kind === 'udp') {
    const s = createSocket('udp4');
    const ok = await new Promise<boolean>((resolve) => {
      s.once('error', () => resolve(false));
      s.bind(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((resolve) => s.close(() => resolve()));
    return ok;
  }
  const server = createServer();
  const ok = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (ok) await new Promise<void>((resolve) => server.close(() => resolve()));
  return ok;
}

export async function isReady(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Waits for /readyz; on failure the error carries what the process printed, to diagnose CI runs. */
export async function waitReady(port: number, running: Running, timeoutMs = 60_000): Promise<void> {
  try {
    await waitUntil(
      `readiness on port ${port}`,
      async () => {
        if (running.child.exitCode !== null) throw new Error(`the process exited with code ${running.child.exitCode}`);
        return isReady(port);
      },
      timeoutMs,
    );
  } catch (error) {
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}\n--- stderr ---\n${running.stderr()}\n--- stdout ---\n${running.stdout().slice(-2000)}`,
    );
  }
}

export function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Stops whatever a test left running on a data directory. */
export async function stopLeftovers(dataDir: string, children: Running[]): Promise<void> {
  for (const running of children) if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
  const pid = postmasterPid(dataDir);
  if (pid && isProcessAlive(pid)) {
    process.kill(pid, 'SIGINT');
    await waitUntil('the leftover database server to stop', () => !isProcessAlive(pid), 30_000).catch(() => process.kill(pid, 'SIGKILL'));
  }
}
