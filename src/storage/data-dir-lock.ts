import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { errnoCode } from '../domain/errors/app-error.js';

/**
 * One Switchboard process owns a data directory at a time: the owner starts
 * and stops the embedded PostgreSQL server. The lock is a file holding the
 * owner's pid; a lock whose process is gone (SIGKILL, power loss) is stale and
 * is taken over.
 */
export type LockOwner = { pid: number; command: string; startedAt: string };

export type LockResult = { acquired: true; release: () => Promise<void> } | { acquired: false; owner: LockOwner };

const LOCK_FILE = 'switchboard.lock';

export async function acquireDataDirLock(dataDir: string, command: string): Promise<LockResult> {
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, command, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await fs.writeFile(file, `${JSON.stringify(me)}\n`, { flag: 'wx', mode: 0o600 });
      return { acquired: true, release: () => releaseLock(file) };
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw error;
    }
    const owner = readOwner(file);
    if (owner && owner.pid !== process.pid && isSwitchboardProcessAlive(owner.pid)) {
      return { acquired: false, owner };
    }
    // Stale: its process is gone. Remove it and try again (another starter may win the race).
    await fs.rm(file, { force: true });
  }
  const owner = readOwner(file);
  if (owner) return { acquired: false, owner };
  throw new Error(`could not take the lock ${file}`);
}

async function releaseLock(file: string): Promise<void> {
  const owner = readOwner(file);
  if (owner?.pid === process.pid) await fs.rm(file, { force: true });
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof value === 'object' && value !== null && 'pid' in value && typeof value.pid === 'number') {
      const command = 'command' in value && typeof value.command === 'string' ? value.command : 'unknown';
      const startedAt = 'startedAt' in value && typeof value.startedAt === 'string' ? value.startedAt : '';
      return { pid: value.pid, command, startedAt };
    }
  } catch {
    // Missing or torn (killed mid-write): treat as no owner.
  }
  return undefined;
}

/** True if the pid is a live Node process (a recycled pid of another program does not count). */
export function isSwitchboardProcessAlive(pid: number): boolean {
  if (!isProcessAlive(pid)) return false;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /node|switchboard/.test(cmdline);
  } catch {
    // No /proc (macOS): trust the signal probe.
    return true;
  }
}

/** True if the pid runs; a zombie (exited, not yet reaped by its parent) does not count. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (errnoCode(error) !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3, after the parenthesised command name, is the state.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch (error) {
    // ENOENT: it exited between the two probes. Anything else: no /proc here (macOS).
    return errnoCode(error) !== 'ENOENT';
  }
}
