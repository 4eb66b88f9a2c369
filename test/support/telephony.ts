import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { digestHa1 } from '../../src/services/phone.service.js';
import type { PhoneCredentialSource } from '../../src/telephony/edge-phones.js';
import type { RtpengineClient } from '../../src/telephony/media/rtpengine.js';
import { writeDtmfPcap } from './dtmf-pcap.js';
import { canBind } from './processes.js';

/** Helpers for the SIP suites: free loopback ports, and SIPp runs with bounded calls and time. */

export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/**
 * Ports for a SIP phone (baresip): SIP on UDP and TCP at `sip` and TLS at `sip + 1` (baresip opens all three), and a
 * TCP control port. Taken from 10000–19999, below the kernel's ephemeral range (32768–60999), where an outgoing
 * connection's local port (a database pool's, a browser's) could take one between the probe and the phone's bind —
 * and from which no other test helper draws.
 */
export async function freeSipPhonePorts(): Promise<{ sip: number; control: number }> {
  const pick = async (check: (p: number) => Promise<boolean>) => {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = 10_000 + Math.floor(Math.random() * 9_990);
      if (await check(port)) return port;
    }
    throw new Error('no free port for a SIP phone in 10000–19999');
  };
  const sip = await pick(async (p) => (await canBind('udp', p)) && (await canBind('tcp', p)) && (await canBind('tcp', p + 1)));
  const control = await pick(async (p) => p !== sip && p !== sip + 1 && (await canBind('tcp', p)));
  return { sip, control };
}

/** A free block of `size` even-aligned UDP ports (for rtpengine's range), probed one by one. */
export async function freeUdpRange(size: number): Promise<{ min: number; max: number }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 20_000) * 2;
    let ok = true;
    // Every port of a small range (SIPp's media range: audio and video, RTP and RTCP); every 50th of a large one.
    const step = size <= 64 ? 1 : 50;
    for (let p = base; p < base + size && ok; p += step) {
      const s = createSocket('udp4');
      ok = await new Promise<boolean>((resolve) => {
        s.once('error', () => resolve(false));
        s.bind(p, '127.0.0.1', () => resolve(true));
      });
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    if (ok) return { min: base, max: base + size - 1 };
  }
  throw new Error('no free UDP range');
}

export const SIPP_DIR = path.resolve('test/fixtures/sipp');

export type SippResult = { code: number | null; stdout: string; stderr: string };

/** Runs SIPp with these arguments to its end, keeping the last 50 KB of what it printed. */
function runSipp(args: string[]): Promise<SippResult> {
  return new Promise<SippResult>((resolve) => {
    const child = spawn('sipp', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout = (stdout + c.toString()).slice(-50_000);
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-50_000);
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs SIPp as a caller (bounded by -m and a wall-clock timeout). */
export function sipp(
  scenario: string,
  target: string,
  options: {
    service: string;
    calls?: number;
    rate?: number;
    holdMs?: number;
    limit?: number;
    timeoutS?: number;
    extra?: string[];
    /** The caller's own address (another loopback address: a caller outside the carrier access list); default 127.0.0.1. */
    localIp?: string;
    /** Keys the caller presses (RFC 4733), from the moment the scenario plays its pcap. */
    keys?: { digit: string; atMs: number }[];
  },
): Promise<SippResult> {
  return (async () => {
    let file = path.join(SIPP_DIR, scenario);
    if (options.keys) {
      const dir = mkdtempSync(path.join(tmpdir(), 'sb-sipp-'));
      const pcap = path.join(dir, 'keys.pcap');
      writeDtmfPcap(pcap, options.keys);
      file = path.join(dir, scenario);
      writeFileSync(file, readFileSync(path.join(SIPP_DIR, scenario), 'utf8').replaceAll('@@PCAP@@', pcap));
    }
    const port = await freeUdpPort();
    const media = (await freeUdpRange(4)).min;
    const args = [
      '-sf',
      file,
      target,
      '-s',
      options.service,
      '-i',
      options.localIp ?? '127.0.0.1',
      ...(options.localIp ? ['-bind_local'] : []),
      '-p',
      String(port),
      '-mi',
      '127.0.0.1',
      '-mp',
      String(media),
      '-m',
      String(options.calls ?? 1),
      '-r',
      String(options.rate ?? 1),
      '-d',
      String(options.holdMs ?? 1_000),
      '-l',
      String(options.limit ?? 100),
      '-nostdin',
      '-timeout',
      `${options.timeoutS ?? 90}s`,
      '-timeout_error',
      '-recv_timeout',
      '20000',
      ...(options.extra ?? []),
    ];
    return runSipp(args);
  })();
}

/** SIPp's final statistics: successful and failed calls. */
export function sippCounts(out: string): { successful: number; failed: number } {
  const grab = (label: string) => {
    const m = new RegExp(`${label}\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`).exec(out);
    return m ? Number(m[1]) : Number.NaN;
  };
  return { successful: grab('Successful call'), failed: grab('Failed call') };
}

/** Packets rtpengine relayed from each side of a call (one count per tag), from its `query` answer. */
export async function packetsBySide(rtpengine: RtpengineClient, callId: string): Promise<number[]> {
  const stats = await rtpengine.command('query', { 'call-id': callId });
  const tags = stats.tags as Record<string, { medias?: { streams?: { stats?: { packets?: number } }[] }[] }>;
  return Object.values(tags).map((v) =>
    (v.medias ?? []).flatMap((m) => m.streams ?? []).reduce((n, st) => n + (st.stats?.packets ?? 0), 0),
  );
}

/**
 * Runs SIPp as a server on a given port (a carrier trunk the edge sends outbound calls to), for `calls` calls,
 * bounded in time; every SIP message it sees and sends is kept in a trace file the test can read.
 */
export function sippServer(
  scenario: string,
  port: number,
  options: { calls?: number; timeoutS?: number } = {},
): { done: Promise<SippResult>; messages: () => string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-sipp-uas-'));
  const trace = path.join(dir, 'messages.log');
  const done = (async () => {
    const media = (await freeUdpRange(4)).min;
    const args = [
      '-sf',
      path.join(SIPP_DIR, scenario),
      '-i',
      '127.0.0.1',
      '-p',
      String(port),
      '-mi',
      '127.0.0.1',
      '-mp',
      String(media),
      '-m',
      String(options.calls ?? 1),
      '-nostdin',
      '-trace_msg',
      '-message_file',
      trace,
      '-timeout',
      `${options.timeoutS ?? 90}s`,
      '-timeout_error',
    ];
    return runSipp(args);
  })();
  return {
    done,
    messages: () => {
      try {
        return readFileSync(trace, 'utf8');
      } catch {
        return '';
      }
    },
  };
}

/**
 * Phone credentials for the SIP suites without accounts: the edge's source (startTelephony's `phones`), and `issue`,
 * which gives a SIP user a fresh password (in the default realm) and waits until the edge has it.
 */
export function testPhoneBook(realm = 'switchboard'): { source: PhoneCredentialSource; issue: (sipUser: string) => Promise<string> } {
  const entries = new Map<string, string>();
  const listeners = new Set<() => Promise<void>>();
  return {
    source: {
      entries: async () => [...entries].map(([authUser, ha1]) => ({ authUser, ha1 })),
      subscribe: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    issue: async (sipUser) => {
      const password = randomBytes(12).toString('base64url');
      entries.set(sipUser, digestHa1(sipUser, realm, password));
      await Promise.all([...listeners].map((l) => l()));
      return password;
    },
  };
}
